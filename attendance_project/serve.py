"""Start Daphne with an access log that never prints a token, and a cheaper write path.

Daphne's HTTP access log writes the whole URI, so a plain GET of `/ws?token=...` would
put a JWT in the log. Usage is Daphne's own: `python -m attendance_project.serve -b HOST
-p PORT attendance_project.asgi:application`.
"""

from daphne import cli
from daphne.access import AccessLogGenerator

from core.logging import redact


class RedactingAccessLog(AccessLogGenerator):
    """Daphne's access log with token values replaced."""

    def __call__(self, protocol, action, details):
        if details.get("path"):
            details = {**details, "path": redact(str(details["path"]))}
        super().__call__(protocol, action, details)


def send_at_once() -> None:
    """Make Twisted's TCP transports send straight away when nothing is queued.

    Twisted's `write()` only buffers and asks the reactor to watch the socket for
    writability; on the asyncio reactor that is an epoll_ctl() to start watching, a loop
    pass, the send, and another epoll_ctl() to stop: per frame, per socket. A broadcast to
    a class of 1,000 paid that 1,000 times. Here a write to a transport with an empty
    buffer tries the socket first (as asyncio's own transports do) and hands Twisted only
    what the socket did not take, so ordering, back-pressure and error handling (a failed
    send leaves the data to Twisted, whose next write attempt reports the lost
    connection) stay Twisted's.
    """
    from twisted.internet import tcp

    if getattr(tcp.Connection.write, "sends_at_once", False):
        return
    buffered_write = tcp.Connection.write

    def write(self, data):
        if (
            self.TLS
            or not self.connected
            or self.disconnecting
            or self._writeDisconnected
            or self.dataBuffer
            or self._tempDataLen
            or not isinstance(data, bytes)
            or not data
        ):
            return buffered_write(self, data)
        try:
            sent = self.socket.send(data)
        except OSError:
            sent = 0  # would block, or broken: Twisted's own path deals with it
        if sent < len(data):
            buffered_write(self, data[sent:])
        return None

    write.sends_at_once = True
    tcp.Connection.write = write


def quiet_autobahn() -> None:
    """Stop autobahn from colouring debug-log arguments that are never logged.

    Every frame sent or read calls `log.debug(..., func=hltype(...), peer=hlval(...))`, and the
    arguments are built (terminal colour codes through click) even with debug logging off:
    a few percent of a busy worker's CPU. Debug lines, if enabled, show the values plainly.
    """
    from autobahn.twisted import websocket
    from autobahn.websocket import protocol

    for module in (protocol, websocket):
        module.hltype = module.hlval = _plain


def _plain(value, *args, **kwargs):
    return value


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

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "attendance_project.settings")
    django.setup()
    if not settings.DEBUG and not (settings.STATIC_ROOT / "staticfiles.json").exists():
        call_command("collectstatic", interactive=False, verbosity=0)


def main() -> None:
    """Run Daphne's command line with the redacting access log."""
    ensure_static_files()
    send_at_once()
    quiet_autobahn()
    cli.AccessLogGenerator = RedactingAccessLog
    cli.CommandLineInterface.entrypoint()


if __name__ == "__main__":
    main()
