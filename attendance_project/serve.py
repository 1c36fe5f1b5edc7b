"""Start Daphne with an access log that never prints a token.

Daphne's HTTP access log writes the whole URI, so a plain GET of `/ws?token=...` would
put a JWT in the log. Usage is Daphne's own: `python -m attendance_project.serve -b HOST
-p PORT attendance_project.asgi:application`.
"""

from daphne import cli
from daphne.access import AccessLogGenerator

from attendance_project.logging import redact


class RedactingAccessLog(AccessLogGenerator):
    """Daphne's access log with token values replaced."""

    def __call__(self, protocol, action, details):
        if details.get("path"):
            details = {**details, "path": redact(str(details["path"]))}
        super().__call__(protocol, action, details)


def main() -> None:
    """Run Daphne's command line with the redacting access log."""
    cli.AccessLogGenerator = RedactingAccessLog
    cli.CommandLineInterface.entrypoint()


if __name__ == "__main__":
    main()
