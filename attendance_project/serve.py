"""Start Daphne with an access log that never prints a token, a cheaper write path (live.compat), a calmer GC.

Daphne's HTTP access log writes the whole URI, so a plain GET of `/ws?token=...` would
put a JWT in the log. Usage is Daphne's own: `python -m attendance_project.serve -b HOST
-p PORT attendance_project.asgi:application`.
"""

import gc

from daphne import cli
from daphne.access import AccessLogGenerator

from core.logging import redact
from live.compat import listen_backlog, quiet_autobahn, send_at_once, spread_keepalive, use_access_log


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


# Python's collector runs a young collection every 700 new container objects and a full one
# every 100 of those: a worker holding thousands of sockets (each a few hundred long-lived
# objects) then spends a fifth of a connect storm's CPU walking them again and again.
GC_THRESHOLDS = (50_000, 50, 100)


def tune_gc() -> None:
    """Collect less often, and never walk what start-up loaded (modules, settings, URL patterns).

    Cycles still get collected; only less often, which costs a few megabytes of garbage held a
    little longer. Measured: about a fifth less CPU per socket in a connect storm
    (`python -m bench.handshake_floor`).
    """
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def main() -> None:
    """Run Daphne's command line with the redacting access log."""
    import os

    ensure_static_files()
    listen_backlog(int(os.environ.get("LISTEN_BACKLOG") or "1024"))
    send_at_once()
    quiet_autobahn()
    spread_keepalive()
    use_access_log(RedactingAccessLog)
    tune_gc()
    cli.CommandLineInterface.entrypoint()


if __name__ == "__main__":
    main()
