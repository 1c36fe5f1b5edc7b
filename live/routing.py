from django.urls import path

from live.consumers import LiveConsumer

websocket_urlpatterns = [
    path("ws", LiveConsumer.as_asgi()),
]
