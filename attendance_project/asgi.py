"""ASGI entry point: HTTP through Django, `/ws` through the Channels consumer."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "attendance_project.settings.production")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402 - needs Django set up first

from live.admission import HandshakeGate  # noqa: E402
from live.auth import WebSocketAuthMiddleware  # noqa: E402
from live.routing import websocket_urlpatterns  # noqa: E402

# No origin validator around the whole router: token sockets from API clients carry no
# Origin; the auth middleware checks the Origin of cookie-authenticated sockets itself.
application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # A turn for each handshake first (live.admission), so that a herd of reconnects is
        # refused at once rather than worked on and dropped.
        "websocket": HandshakeGate(WebSocketAuthMiddleware(URLRouter(websocket_urlpatterns))),
    }
)
