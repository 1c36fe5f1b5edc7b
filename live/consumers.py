"""The `/ws` consumer: join class groups, hand frames to their handlers, forward broadcasts.

Who the socket is comes from live.auth; frame parsing from live.protocol; flood control
from live.ratelimit; presence from live.presence; the rules from the attendance services.
"""

import asyncio
import logging
import time

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from accounts.models import Role
from attendance.selectors import session_for_sender, session_summary_at, student_status
from attendance.services import attendance_mark, session_finish
from attendance.snapshots import catch_up_sync, roster_of, snapshot_sync
from classes.selectors import memberships
from core.errors import ApplicationError, Messages
from live import auth as live_auth
from live import broadcast, presence, protocol
from live.compat import DirectDispatch
from live.membership import Membership
from live.ratelimit import FrameLimiter, Verdict
from live.sessions import SenderSessions, session_gone
from live.threads import in_thread, in_writer

logger = logging.getLogger("attendance.ws")

_mark = in_writer(attendance_mark)
_finish = in_writer(session_finish)


class LiveConsumer(DirectDispatch, AsyncWebsocketConsumer):
    """One client connection, base contract first, extension on request."""

    direct_types = frozenset({broadcast.FRAME, broadcast.SESSIONS})
    user = None
    access = None

    async def connect(self) -> None:
        self.membership = Membership(self)
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
            refusal = await asyncio.wait_for(self._join(user), settings.WS_CONNECT_TIMEOUT_SECONDS)
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
        await presence.connected(user=user, channel=self.channel_name, classes=self.membership.classes)
        self.heartbeat = asyncio.ensure_future(presence.heartbeat(user_id=str(user.pk), channel=self.channel_name))
        if self.access.expires_at is not None:
            self.expiry = asyncio.ensure_future(self._close_at(self.access.expires_at))

    async def _join(self, user) -> tuple[str, int] | None:
        """Join the user's groups; return (message, close code) when the socket is refused instead."""
        if await presence.connections(user=user) >= settings.WS_MAX_SOCKETS_PER_USER:
            logger.warning("Refused a socket of user %s: %s open already", user.pk, settings.WS_MAX_SOCKETS_PER_USER)
            return Messages.WS_TOO_MANY_SOCKETS, protocol.CLOSE_TOO_MANY_SOCKETS
        classes = await in_thread(memberships)(user=user)
        await self.membership.join(str(user.pk), classes)
        return None

    async def _leave_quietly(self, user) -> None:
        try:
            await asyncio.wait_for(self.membership.leave(str(user.pk)), settings.WS_CONNECT_TIMEOUT_SECONDS)
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
        await self.membership.leave(str(self.user.pk))
        await presence.disconnected(user=self.user, channel=self.channel_name, classes=self.membership.classes)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.user is None or self.ended:
            return
        code = await self._access_ended()
        if code is not None:
            await self._error(Messages.WS_UNAUTHORIZED)
            await self._end(code)
            return
        verdict = self.limiter.check()
        if verdict is not Verdict.ALLOW:
            if verdict is Verdict.WARN:
                await self._error(Messages.WS_RATE_LIMITED)
            elif verdict is Verdict.CLOSE:
                await self.close(code=protocol.CLOSE_POLICY)
            return
        try:
            event, data = protocol.parse(text_data, max_bytes=settings.WS_MAX_MESSAGE_BYTES)
        except protocol.FrameError as exc:
            await self._error(exc.message)
            if exc.close_code is not None:
                await self.close(code=exc.close_code)
            return
        handler = self.handlers.get(event)
        if handler is None:
            await self._error(Messages.WS_UNKNOWN_EVENT)
            return
        try:
            await handler(self, data)
        except ApplicationError as exc:
            await self._error(exc.message)
        except Exception:
            logger.exception("WebSocket handler %s failed", event)
            await self._error(Messages.INTERNAL)

    # Handlers ----------------------------------------------------------------------------

    def _require(self, role: str) -> None:
        if self.user.role != role:
            raise ApplicationError(Messages.WS_TEACHER_ONLY if role == Role.TEACHER else Messages.WS_STUDENT_ONLY, 403)

    async def _session(self, data: dict, *, fresh: bool = False):
        session = await self.sessions.pick(data.get("classId"), fresh=fresh)
        await self.membership.add_class(str(session.klass_id), str(session.klass.teacher_id))
        return session

    async def _on_session(self, data: dict, action):
        """Run `action(session)` on the event's session; once more on a fresh lookup if it had ended."""
        session = await self._session(data)
        try:
            return session, await action(session)
        except ApplicationError as exc:
            if not session_gone(exc):
                raise
        session = await self._session(data, fresh=True)
        return session, await action(session)

    async def on_mark(self, data: dict) -> None:
        self._require(Role.TEACHER)

        def mark(session):
            return _mark(session=session, student_id=data.get("studentId"), status=data.get("status"), by=self.user)

        session, record = await self._on_session(data, mark)
        # Straight from here rather than through an event: a mark is the hot path.
        payload = {"studentId": str(record.student_id), "status": record.status, **broadcast.session_fields(session)}
        await broadcast.to_class(str(session.klass_id), "ATTENDANCE_MARKED", payload)

    async def on_summary(self, data: dict) -> None:
        self._require(Role.TEACHER)
        session, (summary, seq) = await self._on_session(
            data, in_thread(lambda session: session_summary_at(session=session))
        )
        payload = {**summary, **broadcast.session_fields(session), "seq": seq}
        await broadcast.to_class(str(session.klass_id), "TODAY_SUMMARY", payload)

    async def on_my_attendance(self, data: dict) -> None:
        self._require(Role.STUDENT)
        session = await in_thread(session_for_sender)(user=self.user, class_id=data.get("classId"))
        await self.membership.add_class(str(session.klass_id), str(session.klass.teacher_id))
        status = await in_thread(student_status)(session=session, student=self.user)
        await self._send_frame("MY_ATTENDANCE", {"status": status, "classId": str(session.klass_id)})

    async def on_done(self, data: dict) -> None:
        self._require(Role.TEACHER)
        # The service announces DONE to the class once the write has committed.
        await self._on_session(data, lambda session: _finish(session=session))

    async def on_subscribe(self, data: dict) -> None:
        """Opt in to the extension: snapshot now, then presence and session events."""
        await self.membership.opt_in()
        await self._send_snapshot("SNAPSHOT", list(self.membership.classes))

    async def on_catch_up(self, data: dict) -> None:
        """Opt in, and answer what changed in a class's session since the `seq` the client holds."""
        class_id, session_id, since = protocol.catch_up_request(data)
        if class_id not in self.membership.classes:
            raise ApplicationError(Messages.CLASS_NOT_FOUND, 404)
        await self.membership.opt_in()
        answer = await in_thread(catch_up_sync)(user=self.user, class_id=class_id, session_id=session_id, since=since)
        if self.user.role == Role.TEACHER:
            # Who came and went while the client was away.
            answer["online"] = await presence.online_among(await in_thread(roster_of)(class_id=class_id))
        await self._send_frame("CATCH_UP", answer)

    async def on_ping(self, data: dict) -> None:
        """Answer an extension heartbeat: a cheap way for a client to see that the socket is alive."""
        await self._send_frame("PONG", {})

    handlers = {
        "PING": on_ping,
        "ATTENDANCE_MARKED": on_mark,
        "TODAY_SUMMARY": on_summary,
        "MY_ATTENDANCE": on_my_attendance,
        "DONE": on_done,
        "SUBSCRIBE": on_subscribe,
        "CATCH_UP": on_catch_up,
    }

    # Channel-layer messages --------------------------------------------------------------

    async def live_frame(self, message: dict) -> None:
        """Forward a broadcast; extension events only to clients that opted in."""
        if message.get("extension") and not self.membership.opted_in:
            return
        await self.send(text_data=message["text"])

    async def deliver(self, message: dict) -> None:
        """Take a class broadcast from the process's fan-out (live.fanout.LocalFanout)."""
        if message.get("extension") and not self.membership.opted_in:
            return
        if not self.accepted:
            self.pending.append(message["text"])
            return
        await self.base_send({"type": "websocket.send", "text": message["text"]})

    async def live_sessions(self, message: dict) -> None:
        """A session of one of the user's classes started or finished: look the sessions up again."""
        self.sessions.forget()

    async def live_enrolled(self, message: dict) -> None:
        """Join a class the user was just added to (or just created)."""
        class_id = message["class_id"]
        classes = await in_thread(memberships)(user=self.user)
        if class_id not in classes:
            return
        await self.membership.add_class(class_id, classes[class_id])
        if self.membership.opted_in:
            await self._send_snapshot("ENROLLED", [class_id])

    async def live_unenrolled(self, message: dict) -> None:
        """Leave a class the user was removed from."""
        class_id = message["class_id"]
        if await self.membership.remove_class(class_id) and self.membership.opted_in:
            await self._send_frame("UNENROLLED", {"classId": class_id})

    async def live_revoked(self, message: dict) -> None:
        """Close at once: the account's access ended (or, with `session`, this page session's)."""
        session = message.get("session")
        if session is None or session == self.access.session:
            await self._end(protocol.CLOSE_REVOKED)

    # The socket follows its account -------------------------------------------------------

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

    # Helpers -----------------------------------------------------------------------------

    async def _send_snapshot(self, event: str, class_ids: list[str]) -> None:
        snapshot = await in_thread(snapshot_sync)(user=self.user, class_ids=class_ids)
        await presence.fill_online(snapshot, user=self.user)
        await self._send_frame(event, snapshot)

    async def _send_frame(self, event: str, data: dict) -> None:
        await self.send(text_data=broadcast.encode(broadcast.frame(event, data)))

    async def _error(self, message: str) -> None:
        await self._send_frame("ERROR", {"message": message})
