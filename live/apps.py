from django.apps import AppConfig


class LiveConfig(AppConfig):
    """Live attendance sessions, marks and the WebSocket."""

    name = "live"
