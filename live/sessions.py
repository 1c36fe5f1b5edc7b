"""The running sessions a socket's events go to, kept between frames."""

from attendance.selectors import pick_session, sessions_active_for
from core.errors import ApplicationError, Messages
from live.threads import in_thread


class SenderSessions:
    """A socket's running sessions, looked up once and kept until they change.

    A teacher marking a class would otherwise pay a lookup per frame (the user's classes, then
    their running sessions) before the write itself. The list is kept from the first event on
    and dropped when the domain announces that a session of one of the user's classes started
    or finished (live.receivers sends the user's sockets `live.sessions`), and when a write
    finds that the session it was given is no longer running (then the event is retried once
    on a fresh list). An empty list is never kept, and an error is never answered from the kept
    list: those always come from a fresh lookup.
    """

    def __init__(self, user) -> None:
        self.user = user
        self.sessions: list | None = None

    async def pick(self, class_id: object = None, *, fresh: bool = False):
        """Return the running session an event is about (the contract's multi-session rule)."""
        if self.sessions and not fresh:
            try:
                return pick_session(self.sessions, class_id=class_id)
            except ApplicationError:
                pass  # maybe only the kept list is out of date: look again
        sessions = await in_thread(sessions_active_for)(user=self.user)
        self.sessions = sessions or None
        return pick_session(sessions, class_id=class_id)

    def forget(self) -> None:
        """Drop the kept list: the next event looks the sessions up again."""
        self.sessions = None


def session_gone(exc: ApplicationError) -> bool:
    """Whether a write was refused because its session is no longer running."""
    return exc.message == Messages.WS_NO_SESSION
