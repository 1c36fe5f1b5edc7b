"""Refusals the attendance app adds to class changes (connected in AttendanceConfig.ready).

A class whose session is running cannot be archived or deleted, and no student can leave
it, until the session is finished: the classes app asks through
`classes.events.class_change_requested` and the answer lives here, where sessions are known.
"""

from attendance.models import AttendanceSession
from attendance.services import session_finish_stale
from classes import events as class_events
from core.errors import ApplicationError, Messages


def refuse_while_session_runs(*, klass, **kwargs) -> None:
    """Raise the 409 `Session running` while the class has a running session."""
    # A forgotten session past SESSION_MAX_HOURS is finished here, as a new start would.
    session_finish_stale(klass=klass)
    if AttendanceSession.objects.filter(klass=klass, is_active=True).exists():
        raise ApplicationError(Messages.SESSION_RUNNING, 409)


def connect() -> None:
    """Answer the classes app's change requests."""
    class_events.class_change_requested.connect(refuse_while_session_runs, dispatch_uid="attendance.session_running")
