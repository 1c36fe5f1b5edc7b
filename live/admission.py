"""Handshakes are worked on a few at a time; one that waited too long for its turn is refused at once.

When a worker dies at 9:00, its pages reconnect to the others all together: a herd of
handshakes far larger than a worker accepts in Daphne's `--websocket_connect_timeout` (5 s).
Started all at once, each would get a slice of the worker and most would be dropped by Daphne
after the work was done (the token read, the groups joined), so that nearly nothing got through
and the pages came back together, again and again. Here at most WS_HANDSHAKES_AT_ONCE are
worked on at a time, in arrival order, and one that has waited WS_HANDSHAKE_QUEUE_SECONDS for
its turn is answered "try again" (ERROR, close 4013) without any of that work: its page backs
off, the herd spreads out, and every handshake the worker starts it finishes in time.
"""

import asyncio
import logging
import weakref

from django.conf import settings

from core.errors import Messages
from live import broadcast, protocol

logger = logging.getLogger("attendance.ws")

# The messages that answer a handshake (after which its turn is over).
ANSWERS = frozenset({"websocket.accept", "websocket.close", "websocket.http.response.start"})


class HandshakeGate:
    """ASGI middleware for `/ws`: a turn for each handshake, held until the handshake is answered."""

    def __init__(self, app) -> None:
        self.app = app
        self._turns: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # event loop -> semaphore

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        turns = self._turns.get(loop)
        if turns is None:
            turns = self._turns[loop] = asyncio.Semaphore(settings.WS_HANDSHAKES_AT_ONCE)
        return turns

    async def __call__(self, scope, receive, send) -> None:
        turns = self._semaphore()
        try:
            async with asyncio.timeout(settings.WS_HANDSHAKE_QUEUE_SECONDS):  # no task per handshake
                await turns.acquire()
        except TimeoutError:
            logger.warning("Refused a socket that waited %ss for its turn", settings.WS_HANDSHAKE_QUEUE_SECONDS)
            await refuse(receive, send)
            return
        held = True

        def give_back() -> None:
            nonlocal held
            if held:
                held = False
                turns.release()

        async def answering(message: dict) -> None:
            if message["type"] in ANSWERS:
                give_back()
            await send(message)

        answering.__wrapped__ = send  # what lies behind it (live.compat.Wire)

        try:
            await self.app(scope, receive, answering)
        finally:
            give_back()


async def refuse(receive, send) -> None:
    """Answer a handshake "try again" as the consumer does: accepted, ERROR, close 4013."""
    message = await receive()
    if message["type"] != "websocket.connect":
        return  # the client went away while it waited
    await send({"type": "websocket.accept"})
    frame = broadcast.encode(broadcast.frame("ERROR", {"message": Messages.WS_UNAVAILABLE}))
    await send({"type": "websocket.send", "text": frame})
    await send({"type": "websocket.close", "code": protocol.CLOSE_TRY_AGAIN})
