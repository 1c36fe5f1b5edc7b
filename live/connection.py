"""A `/ws` connection's life: joining its groups at connect, leaving them, following its account.

live.consumers.LiveConsumer adds the frame handlers. A socket joins every group before it is
accepted, so nothing is missed; a channel layer or database that fails or hangs during the
handshake is a clear "try again" (ERROR, close 4013), never a 500 or a handshake left waiting.
Once open, it closes at once when its account's access ends (live.receivers sends
`live.revoked` to the user's group) or its token expires.
"""

import asyncio
import logging
import time

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from accounts.models import Role
from classes.selectors import memberships_of
from core.errors import Messages
from live import auth as live_auth
from live import broadcast, presence, protocol
from live.batching import batch_of
from live.compat import DirectDispatch, Wire, WithoutChannel
from live.membership import Membership
from live.ratelimit import FrameLimiter
from live.sessions import SenderSessions
from live.threads import in_thread

logger = logging.getLogger("attendance.ws")


async def _load_memberships(users: list) -> dict:
    # The classes of every socket connecting meanwhile, in one or two queries (live.batching).
    return await in_thread(memberships_of)(users)


# Refused sockets still leaving their groups (a reference keeps each task alive until it ends).
_leaving: set[asyncio.Task] = set()


class LiveConnection(WithoutChannel, DirectDispatch, AsyncWebsocketConsumer):
    """Connect, disconnect and the account-following of one client connection."""

    user = None
    access = None
    wire = None  # the Daphne connection broadcasts are written to directly (live.compat.Wire)

    async def __call__(self, scope, receive, send) -> None:
        """Run the connection; a failure before the handshake is answered is "try again", never a 500.

        Channels makes the socket's channel before connect() runs, and whatever escapes from
        there or from connect() reaches Daphne, which answers an open handshake with HTTP 500. So
        every failure that leaves the handshake unanswered is answered here instead: accepted,
        an ERROR, and close 4013. Once answered, failures go to Daphne as before (close 1011).
        """
        answered = False

        async def send_and_note(message: dict) -> None:
            nonlocal answered
            if message["type"] in ("websocket.accept", "websocket.close", "websocket.http.response.start"):
                answered = True
            await send(message)

        send_and_note.__wrapped__ = send
        # Broadcasts go straight to the connection when it is Daphne's (live.compat.Wire).
        self.wire = Wire.behind(send)

        try:
            await self.run_without_channel(scope, receive, send_and_note)
        except Exception as exc:
            if answered:
                raise
            logger.warning("Refused a socket, its connection failed: %s: %s", type(exc).__name__, exc, exc_info=True)
            await send({"type": "websocket.accept"})
            frame = broadcast.encode(broadcast.frame("ERROR", {"message": Messages.WS_UNAVAILABLE}))
            await send({"type": "websocket.send", "text": frame})
            await send({"type": "websocket.close", "code": protocol.CLOSE_TRY_AGAIN})

    async def connect(self) -> None:
        self.membership = Membership(self, self.channel_layer)
        self.sessions = SenderSessions(self.scope["user"])
        self.heartbeat: asyncio.Task | None = None
        self.expiry: asyncio.Task | None = None
        self.ended = False
        self.limiter = FrameLimiter(settings.WS_RATE_LIMIT_PER_SECOND, settings.WS_RATE_LIMIT_BURST)
        # Class broadcasts come through the process's fan-out, which may hand one over before
        # accept(): those wait here and go out right after it, in order.
        self.accepted = False
        self.pending: list[str] = []
        if self.scope.get("auth_failed"):
            await self._refuse(Messages.WS_UNAVAILABLE, protocol.CLOSE_TRY_AGAIN)
            return
        if not self.scope["user"].is_authenticated:
            await self._refuse(Messages.WS_UNAUTHORIZED, protocol.CLOSE_POLICY)
            return
        user = self.scope["user"]
        self.access = self.scope["access"]
        self.recheck_at = time.monotonic() + settings.WS_RECHECK_SECONDS
        # Join every group before accept(): once the client sees the socket open, nothing is missed.
        # A channel layer or database that fails or hangs is a clear "try again", never a 500 or a
        # handshake left waiting; no disconnect() follows a refused connect(), so leave the groups here.
        try:
            async with asyncio.timeout(settings.WS_CONNECT_TIMEOUT_SECONDS):
                refusal = await self._join(user)
        except asyncio.CancelledError:
            await self._leave_quietly(user)
            raise
        except Exception as exc:  # noqa: BLE001 - whatever the layer or database raised: "try again"
            logger.warning("Refused a socket, its groups could not be joined: %s: %s", type(exc).__name__, exc)
            await self._leave_quietly(user)
            refusal = (Messages.WS_UNAVAILABLE, protocol.CLOSE_TRY_AGAIN)
        if refusal is not None:
            await self._refuse(*refusal)
            return
        await self.accept()
        while self.pending:
            await self.send(text_data=self.pending.pop(0))
        self.accepted = True
        self.user = user
        await presence.connected(user=user, classes=self.membership.classes)
        self.heartbeat = asyncio.ensure_future(presence.heartbeat(user_id=str(user.pk), channel=self.channel_name))
        if user.role == Role.TEACHER:
            self.sessions.warm()
        if self.access.expires_at is not None:
            self.expiry = asyncio.ensure_future(self._close_at(self.access.expires_at))

    async def _join(self, user) -> tuple[str, int] | None:
        """Join the user's groups; return (message, close code) when the socket is refused instead."""
        if not getattr(self.channel_layer, "carrying", lambda: True)():
            raise ConnectionError("the channel layer is reconnecting to Redis")
        if await presence.claim(user=user, channel=self.channel_name) >= settings.WS_MAX_SOCKETS_PER_USER:
            await presence.release(user=user, channel=self.channel_name)
            logger.warning("Refused a socket of user %s: %s open already", user.pk, settings.WS_MAX_SOCKETS_PER_USER)
            return Messages.WS_TOO_MANY_SOCKETS, protocol.CLOSE_TOO_MANY_SOCKETS
        classes = await batch_of("memberships", _load_memberships).get(user.pk, user)
        await self.membership.join(str(user.pk), classes)
        return None

    async def _leave_quietly(self, user) -> None:
        """Leave the groups of a socket being refused, without holding up the refusal.

        The client hears "try again" at once; leaving goes on in the background, bounded, so that a
        channel layer that hangs adds nothing to the handshake.
        """
        task = asyncio.ensure_future(self._leave_bounded(user))
        _leaving.add(task)
        task.add_done_callback(_leaving.discard)

    async def _leave_bounded(self, user) -> None:
        try:
            async with asyncio.timeout(settings.WS_CONNECT_TIMEOUT_SECONDS):
                await self.membership.leave(str(user.pk))
                await presence.release(user=user, channel=self.channel_name)
        except Exception:
            logger.warning("Could not leave the groups of a refused socket", exc_info=True)

    async def _refuse(self, message: str, code: int) -> None:
        """Accept, say why, and close: the client learns the reason rather than a failed handshake."""
        await self.accept()
        await self._send_frame("ERROR", {"message": message})
        await self.close(code=code)

    async def disconnect(self, code: int) -> None:
        if self.user is None:
            return
        for task in (self.heartbeat, self.expiry):
            if task is not None:
                task.cancel()
        self.sessions.forget()
        await self.membership.leave(str(self.user.pk))
        await presence.disconnected(user=self.user, channel=self.channel_name, classes=self.membership.classes)

    # The socket follows its account -------------------------------------------------------

    async def live_revoked(self, message: dict) -> None:
        """Close at once: the account's access ended (or, with `session`, this page session's)."""
        session = message.get("session")
        if session is None or session == self.access.session:
            await self._end(protocol.CLOSE_REVOKED)

    async def _access_ended(self) -> int | None:
        """Return the close code when the credential no longer holds, checked before every frame.

        Expiry is a clock comparison; whether the account still holds it (not deactivated,
        deleted, signed out or revoked) is asked again at most every WS_RECHECK_SECONDS, which
        catches a revocation whose close message the channel layer could not carry.
        """
        if self.access.expires_at is not None and time.time() >= self.access.expires_at:
            return protocol.CLOSE_TOKEN_EXPIRED
        if time.monotonic() < self.recheck_at:
            return None
        try:
            current = await live_auth.authenticate(self.scope)
        except Exception:
            logger.warning("Could not check a socket's account; checking again at the next frame", exc_info=True)
            return None
        if current is None or current.user.pk != self.user.pk:
            return protocol.CLOSE_REVOKED
        self.recheck_at = time.monotonic() + settings.WS_RECHECK_SECONDS
        return None

    async def _close_at(self, expires_at: float) -> None:
        await asyncio.sleep(max(expires_at - time.time(), 0))
        await self._end(protocol.CLOSE_TOKEN_EXPIRED)

    async def _end(self, code: int) -> None:
        """Close for good: no frame of this socket is handled any more."""
        if self.ended:
            return
        self.ended = True
        await self.close(code=code)

    # Frames ------------------------------------------------------------------------------

    async def _send_frame(self, event: str, data: dict) -> None:
        await self.send(text_data=broadcast.encode(broadcast.frame(event, data)))

    async def _error(self, message: str) -> None:
        await self._send_frame("ERROR", {"message": message})
