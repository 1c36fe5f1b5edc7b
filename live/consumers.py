"""The `/ws` consumer: authenticate, join class groups, parse frames, call services."""

import asyncio
import json
import logging
import time
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.sessions import InstanceSessionWrapper
from django.conf import settings

from accounts.models import Role, User
from accounts.tokens import user_from_token
from core.errors import ApplicationError, Messages
from live import broadcast, snapshots
from live.layers import local_fanout
from live.origin import origin_allowed
from live.presence import HEARTBEAT_SECONDS, get_presence
from live.selectors import session_for_sender, session_summary, student_status
from live.services import attendance_mark, session_finish

logger = logging.getLogger("attendance.ws")

TEACHER_EVENTS = {"ATTENDANCE_MARKED", "TODAY_SUMMARY", "DONE"}
STUDENT_EVENTS = {"MY_ATTENDANCE"}
SUBSCRIBE = "SUBSCRIBE"
CLOSE_POLICY = 4008
CLOSE_TOO_BIG = 4009  # applications may close with 1000 or 3000-4999 only


class TokenBucket:
    """Allow `rate` messages a second with bursts of `burst`."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


def in_thread(func):
    """Run ORM work on a pool thread rather than Channels' one shared thread.

    With the shared thread, one DONE waiting on a locked database holds up every other
    socket of the worker; on a pool, only its own socket waits (each socket still handles
    its frames one at a time, in order).
    """
    return database_sync_to_async(func, thread_sensitive=False)


@in_thread
def _user_from_token(raw: str) -> User | None:
    return user_from_token(raw)


@in_thread
def _memberships(user: User) -> dict[str, str]:
    return snapshots.memberships(user=user)


@in_thread
def _mark(user: User, data: dict):
    """Find the session and record the mark in one thread hop: (session, record, error)."""
    session = session_for_sender(user=user, class_id=data.get("classId"))
    try:
        record = attendance_mark(session=session, student_id=data.get("studentId"), status=data.get("status"), by=user)
    except ApplicationError as exc:
        return session, None, exc
    return session, record, None


class LiveConsumer(AsyncWebsocketConsumer):
    """One client connection, base contract first, extension on request."""

    user: User | None = None

    async def connect(self) -> None:
        self.user = None
        self.opted_in = False
        self.classes: dict[str, str] = {}  # class id -> teacher id
        self.heartbeat: asyncio.Task | None = None
        self.bucket = TokenBucket(settings.WS_RATE_LIMIT_PER_SECOND, settings.WS_RATE_LIMIT_BURST)
        self.refused = 0
        # Class broadcasts come through the process's fan-out, which may hand one over before
        # accept(): those wait here and go out right after it, in order.
        self.accepted = False
        self.pending: list[str] = []
        self.fanout = local_fanout(self.channel_layer)
        self.frame_send = self._server_send()
        user = await self._authenticate()
        if user is None:
            await self.accept()
            await self._send_frame("ERROR", {"message": Messages.WS_UNAUTHORIZED})
            await self.close(code=CLOSE_POLICY)
            return
        self.user = user
        self.user_id = str(user.pk)
        self.classes = await _memberships(user)
        # Join every group before accept(): once the client sees the socket open, nothing is missed.
        await self.channel_layer.group_add(broadcast.user_group(self.user_id), self.channel_name)
        try:
            for class_id in self.classes:
                await self.fanout.join(broadcast.class_group(class_id), self)
            await self.accept()
            while self.pending:
                await self.send(text_data=self.pending.pop(0))
            self.accepted = True
        except BaseException:
            # No disconnect() follows a connect() that failed: leave the fan-out here.
            await self._leave_classes()
            raise
        await self._presence_join()

    async def _authenticate(self) -> User | None:
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        tokens = query.get("token")
        if tokens:
            return await _user_from_token(tokens[0])
        cookie_user = self.scope.get("user")
        if cookie_user is not None and getattr(cookie_user, "is_authenticated", False):
            if origin_allowed(self.scope):
                return cookie_user
            logger.warning("Refused a cookie-authenticated socket from a foreign origin")
        return None

    async def disconnect(self, code: int) -> None:
        if self.user is None:
            return
        if self.heartbeat is not None:
            self.heartbeat.cancel()
        await self._leave_classes()
        groups = [broadcast.user_group(self.user_id)]
        if self.opted_in:
            groups += [broadcast.class_live_group(class_id) for class_id in self.classes]
        for group in groups:
            await self.channel_layer.group_discard(group, self.channel_name)
        try:
            still_online = await get_presence().remove(self.user_id, self.channel_name)
            if not still_online:
                await self._announce_presence(online=False)
        except Exception:
            logger.warning("Presence update failed on disconnect", exc_info=True)

    # Incoming frames ---------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.user is None:
            return
        if not self.bucket.take():
            # One ERROR per flood; a flood that goes on past another burst's worth is closed.
            self.refused += 1
            if self.refused == 1:
                await self._error(Messages.WS_RATE_LIMITED)
            elif self.refused > settings.WS_RATE_LIMIT_BURST:
                await self.close(code=CLOSE_POLICY)
            return
        if self.bucket.tokens >= self.bucket.burst / 2:
            self.refused = 0  # calm again: forget the flood
        if text_data is None:
            await self._error(Messages.WS_INVALID_FORMAT)
            return
        if len(text_data) > settings.WS_MAX_MESSAGE_BYTES:
            await self._error(Messages.WS_TOO_LARGE)
            await self.close(code=CLOSE_TOO_BIG)
            return
        try:
            message = json.loads(text_data)
        except (ValueError, RecursionError):
            await self._error(Messages.WS_INVALID_FORMAT)
            return
        if not isinstance(message, dict) or not isinstance(message.get("event"), str):
            await self._error(Messages.WS_INVALID_FORMAT)
            return
        data = message.get("data")
        if data is None:
            data = {}
        if not isinstance(data, dict):
            await self._error(Messages.WS_INVALID_FORMAT)
            return
        handler = self.handlers.get(message["event"])
        if handler is None:
            await self._error(Messages.WS_UNKNOWN_EVENT)
            return
        try:
            await handler(self, data)
        except ApplicationError as exc:
            await self._error(exc.message)
        except Exception:
            logger.exception("WebSocket handler %s failed", message["event"])
            await self._error(Messages.INTERNAL)

    def _require(self, role: str) -> None:
        if self.user.role != role:
            raise ApplicationError(Messages.WS_TEACHER_ONLY if role == Role.TEACHER else Messages.WS_STUDENT_ONLY, 403)

    async def _session(self, data: dict):
        session = await in_thread(session_for_sender)(user=self.user, class_id=data.get("classId"))
        await self._ensure_member(str(session.klass_id), str(session.klass.teacher_id))
        return session

    async def on_mark(self, data: dict) -> None:
        self._require(Role.TEACHER)
        session, record, error = await _mark(self.user, data)
        await self._ensure_member(str(session.klass_id), str(session.klass.teacher_id))
        if error is not None:
            raise error
        class_id = str(session.klass_id)
        await broadcast.to_class(
            class_id,
            "ATTENDANCE_MARKED",
            {"studentId": str(record.student_id), "status": record.status, "classId": class_id},
        )

    async def on_summary(self, data: dict) -> None:
        self._require(Role.TEACHER)
        session = await self._session(data)
        summary = await in_thread(session_summary)(session=session)
        class_id = str(session.klass_id)
        await broadcast.to_class(class_id, "TODAY_SUMMARY", {**summary, "classId": class_id})

    async def on_my_attendance(self, data: dict) -> None:
        self._require(Role.STUDENT)
        session = await self._session(data)
        status = await in_thread(student_status)(session=session, student=self.user)
        await self._send_frame("MY_ATTENDANCE", {"status": status, "classId": str(session.klass_id)})

    async def on_done(self, data: dict) -> None:
        self._require(Role.TEACHER)
        session = await self._session(data)
        summary = await in_thread(session_finish)(session=session)
        await broadcast.to_class(str(session.klass_id), "DONE", broadcast.done_data(session, summary))

    async def on_subscribe(self, data: dict) -> None:
        """Opt in to the extension: snapshot now, then presence and session events."""
        if not self.opted_in:
            self.opted_in = True
            for class_id in self.classes:
                await self.channel_layer.group_add(broadcast.class_live_group(class_id), self.channel_name)
        snapshot = await in_thread(snapshots.snapshot_sync)(user=self.user, class_ids=list(self.classes))
        await self._fill_presence(snapshot)
        await self._send_frame("SNAPSHOT", snapshot)

    async def on_ping(self, data: dict) -> None:
        """Answer an extension heartbeat: a cheap way for a client to see that the socket is alive."""
        await self._send_frame("PONG", {})

    handlers = {
        "PING": on_ping,
        "ATTENDANCE_MARKED": on_mark,
        "TODAY_SUMMARY": on_summary,
        "MY_ATTENDANCE": on_my_attendance,
        "DONE": on_done,
        SUBSCRIBE: on_subscribe,
    }

    # Channel-layer messages ------------------------------------------------------------

    async def dispatch(self, message: dict) -> None:
        """Forward broadcasts straight away; everything else as Channels does.

        Channels closes stale database connections before every handler, a thread hop
        each time; a broadcast touches no database, and a class of 1,000 would pay it
        1,000 times per mark.
        """
        if message["type"] == broadcast.FRAME:
            await self.live_frame(message)
        else:
            await super().dispatch(message)

    async def live_frame(self, message: dict) -> None:
        """Forward a broadcast; extension events only to clients that opted in."""
        if message.get("extension") and not self.opted_in:
            return
        await self.send(text_data=message["text"])

    async def deliver(self, message: dict) -> None:
        """Take a class broadcast from the process's fan-out (live.layers.LocalFanout)."""
        if message.get("extension") and not self.opted_in:
            return
        if not self.accepted:
            self.pending.append(message["text"])
            return
        await self.frame_send({"type": "websocket.send", "text": message["text"]})

    def _server_send(self):
        """The server's send under Channels' session wrapper, for broadcasts.

        The wrapper reads the session on every outgoing message, though it only ever saves it
        for HTTP responses; a broadcast to a class of 1,000 paid that 1,000 times.
        """
        wrapper = getattr(self.base_send, "__self__", None)
        if isinstance(wrapper, InstanceSessionWrapper):
            return wrapper.real_send
        return self.base_send

    async def live_enrolled(self, message: dict) -> None:
        """Join a class the user was just added to (or just created)."""
        class_id = message["class_id"]
        memberships = await _memberships(self.user)
        if class_id not in memberships:
            return
        await self._ensure_member(class_id, memberships[class_id])
        if self.opted_in:
            snapshot = await in_thread(snapshots.snapshot_sync)(user=self.user, class_ids=[class_id])
            await self._fill_presence(snapshot)
            await self._send_frame("ENROLLED", snapshot)

    async def live_unenrolled(self, message: dict) -> None:
        """Leave a class the user was removed from."""
        class_id = message["class_id"]
        if self.classes.pop(class_id, None) is None:
            return
        await self.fanout.leave(broadcast.class_group(class_id), self)
        await self.channel_layer.group_discard(broadcast.class_live_group(class_id), self.channel_name)
        if self.opted_in:
            await self._send_frame("UNENROLLED", {"classId": class_id})

    # Helpers -------------------------------------------------------------------------

    async def _ensure_member(self, class_id: str, teacher_id: str) -> None:
        if class_id in self.classes:
            return
        self.classes[class_id] = teacher_id
        await self.fanout.join(broadcast.class_group(class_id), self)
        if self.opted_in:
            await self.channel_layer.group_add(broadcast.class_live_group(class_id), self.channel_name)

    async def _leave_classes(self) -> None:
        for class_id in self.classes:
            await self.fanout.leave(broadcast.class_group(class_id), self)

    async def _presence_join(self) -> None:
        try:
            await get_presence().add(self.user_id, self.channel_name)
            await self._announce_presence(online=True)
        except Exception:
            logger.warning("Presence update failed on connect", exc_info=True)
        self.heartbeat = asyncio.ensure_future(self._beat())

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            try:
                await get_presence().refresh(self.user_id, self.channel_name)
            except Exception:
                logger.warning("Presence heartbeat failed", exc_info=True)

    async def _announce_presence(self, *, online: bool) -> None:
        """Tell the teachers of a student's classes that the student came or went."""
        if self.user.role != Role.STUDENT:
            return
        for class_id, teacher_id in self.classes.items():
            await broadcast.to_user(
                teacher_id, "PRESENCE", {"classId": class_id, "userId": self.user_id, "online": online}
            )

    async def _fill_presence(self, snapshot: dict) -> None:
        if self.user.role != Role.TEACHER:
            return
        for entry in snapshot["classes"]:
            student_ids = [student["_id"] for student in entry.get("students", [])]
            try:
                entry["online"] = sorted(await get_presence().online(student_ids))
            except Exception:
                logger.warning("Presence lookup failed", exc_info=True)
                entry["online"] = []

    async def _send_frame(self, event: str, data: dict) -> None:
        await self.send(text_data=broadcast.encode(broadcast.frame(event, data)))

    async def _error(self, message: str) -> None:
        await self._send_frame("ERROR", {"message": message})
