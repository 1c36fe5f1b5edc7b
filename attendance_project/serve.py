"""Start Daphne with an access log that never prints a token, and a cheaper write path (live.compat).

Daphne's HTTP access log writes the whole URI, so a plain GET of `/ws?token=...` would
put a JWT in the log. Usage is Daphne's own: `python -m attendance_project.serve -b HOST
-p PORT attendance_project.asgi:application`.
"""

from daphne import cli
from daphne.access import AccessLogGenerator

from core.logging import redact
from live.compat import listen_backlog, quiet_autobahn, send_at_once, use_access_log


class RedactingAccessLog(AccessLogGenerator):
    """Daphne's access log with token values replaced."""

    def __call__(self, protocol, action, details):
        if details.get("path"):
            details = {**details, "path": redact(str(details["path"]))}
        super().__call__(protocol, action, details)


def ensure_static_files() -> None:
    """Collect static files once when DEBUG is off and nothing was collected yet.

    With DEBUG off the pages name fingerprinted files from collectstatic's manifest; without
    one every page would fail. The Docker image collects at build; a plain `DEBUG=0` start
    on a fresh checkout collects here instead.
    """
    import os

    import django
    from django.conf import settings
    from django.core.management import call_command

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "attendance_project.settings.production")
    django.setup()
    if not settings.DEBUG and not (settings.STATIC_ROOT / "staticfiles.json").exists():
        call_command("collectstatic", interactive=False, verbosity=0)


def main() -> None:
    """Run Daphne's command line with the redacting access log."""
    import os

    ensure_static_files()
    listen_backlog(int(os.environ.get("LISTEN_BACKLOG") or "1024"))
    send_at_once()
    quiet_autobahn()
    use_access_log(RedactingAccessLog)
    cli.CommandLineInterface.entrypoint()


if __name__ == "__main__":
    main()
