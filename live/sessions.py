"""The running sessions a socket's events go to, kept between frames."""

import asyncio
import contextlib
import logging

from attendance.selectors import pick_session, sessions_active_for
from core.errors import ApplicationError, Messages
from live.threads import in_thread

logger = logging.getLogger("attendance.ws")


class SenderSessions:
    """A socket's running sessions, looked up once and kept until they change.

    A teacher marking a class would otherwise pay a lookup per frame (the user's classes, then
    their running sessions) before the write itself. The list is kept from the first event on
    (for a teacher, from the moment the socket opens: `warm`) and dropped when the domain
    announces that a session of one of the user's classes started or finished (live.receivers
    sends the user's sockets `live.sessions`), and when a write finds that the session it was
    given is no longer running (then the event is retried once on a fresh list). An empty list
    is never kept, and an error is never answered from the kept list: those always come from a
    fresh lookup.
    """

    def __init__(self, user) -> None:
        self.user = user
        self.sessions: list | None = None
        self.warming: asyncio.Future | None = None

    def warm(self) -> None:
        """Start the lookup now (a teacher's socket, once open), so that the first mark need not wait for it.

        At 9:00 every teacher's first mark would otherwise pay the lookup on top of its write, at
        the moment all of them start marking. The list found is used as a kept one: whatever it
        cannot answer is looked up again when the event comes.
        """
        if self.warming is None and self.sessions is None:
            self.warming = asyncio.ensure_future(self._lookup())
            self.warming.add_done_callback(_note_failure)

    async def pick(self, class_id: object = None, *, fresh: bool = False):
        """Return the running session an event is about (the contract's multi-session rule)."""
        warming, self.warming = self.warming, None
        if warming is not None and fresh:
            warming.cancel()
        elif warming is not None:
            # A failure was logged as it happened (_note_failure); the lookup below is the event's own.
            with contextlib.suppress(Exception):
                self.sessions = await warming or None
        if self.sessions and not fresh:
            try:
                return pick_session(self.sessions, class_id=class_id)
            except ApplicationError:
                pass  # maybe only the kept list is out of date: look again
        sessions = await self._lookup()
        self.sessions = sessions or None
        return pick_session(sessions, class_id=class_id)

    async def _lookup(self) -> list:
        return await in_thread(sessions_active_for)(user=self.user)

    def forget(self) -> None:
        """Drop the kept list (and a lookup ahead still under way): the next event looks again."""
        self.sessions = None
        if self.warming is not None:
            self.warming.cancel()
            self.warming = None


def _note_failure(lookup: asyncio.Future) -> None:
    """Log a lookup ahead that failed, also when no event comes to use it (the socket closed first)."""
    if not lookup.cancelled() and lookup.exception() is not None:
        logger.warning("Looking up a socket's sessions ahead failed", exc_info=lookup.exception())


def session_gone(exc: ApplicationError) -> bool:
    """Whether a write was refused because its session is no longer running."""
    return exc.message == Messages.WS_NO_SESSION
