from django.apps import AppConfig


class AttendanceConfig(AppConfig):
    """Attendance sessions, their records and statuses: the domain's rules and the events they announce."""

    name = "attendance"

    def ready(self) -> None:
        from attendance import checkin, vetoes

        checkin.connect()
        vetoes.connect()
