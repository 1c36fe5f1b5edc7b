from django.apps import AppConfig


class LiveConfig(AppConfig):
    """The WebSocket transport: consumers, broadcast, fan-out, presence."""

    name = "live"

    def ready(self) -> None:
        from live import receivers

        receivers.connect()
