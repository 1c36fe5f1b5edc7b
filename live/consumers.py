"""The `/ws` consumer: hand frames to their handlers, forward broadcasts.

Connecting, leaving and following the account are live.connection's; who the socket is
comes from live.auth; frame parsing from live.protocol; flood control from live.ratelimit;
presence from live.presence; the rules from the attendance services.
"""

import logging

from django.conf import settings

from accounts.models import Role
from attendance.selectors import session_for_sender, session_summary_at, student_status
from attendance.services import attendance_mark, attendance_mark_rest, attendance_unmark, session_finish
from attendance.snapshots import catch_up_sync, roster_of, snapshot_sync
from classes.selectors import memberships
from core.errors import ApplicationError, Messages
from live import broadcast, presence, protocol
from live.compat import text_frame
from live.connection import LiveConnection
from live.ratelimit import Verdict
from live.sessions import session_gone
from live.threads import in_thread, in_writer

logger = logging.getLogger("attendance.ws")

# An UNMARK names at most this many students (a roster's worth; the frame size limit bounds it too).
UNMARK_MAX_STUDENTS = 2000

_mark = in_writer(attendance_mark)
_finish = in_writer(session_finish)
_mark_rest = in_writer(attendance_mark_rest)
_unmark = in_writer(attendance_unmark)


class LiveConsumer(LiveConnection):
    """One client connection, base contract first, extension on request."""

    # Every message this consumer handles: its handlers run their ORM work on threads of their own
    # (live.threads), each of which closes stale connections itself.
    direct_types = frozenset(
        {
            "websocket.connect",
            "websocket.receive",
            "websocket.disconnect",
            broadcast.SESSIONS,
            broadcast.ENROLLED,
            broadcast.UNENROLLED,
            broadcast.REVOKED,
        }
    )

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

    async def on_mark_rest(self, data: dict) -> None:
        """Mark every student not yet marked (present unless `status` says otherwise); answer MARKED_REST."""
        self._require(Role.TEACHER)
        status = data.get("status", "present")
        session, records = await self._on_session(
            data, lambda session: _mark_rest(session=session, by=self.user, status=status)
        )
        class_id = str(session.klass_id)
        for record in records:
            payload = {
                "studentId": str(record.student_id),
                "status": record.status,
                **broadcast.session_fields(session),
            }
            await broadcast.to_class(class_id, "ATTENDANCE_MARKED", payload)
        marked = [str(record.student_id) for record in records]
        await self._send_frame("MARKED_REST", {"classId": class_id, "status": status, "studentIds": marked})

    async def on_unmark(self, data: dict) -> None:
        """Undo marks (MARK_REST's, say): the named students still marked `status` become unmarked."""
        self._require(Role.TEACHER)
        student_ids = data.get("studentIds")
        if (
            not isinstance(student_ids, list)
            or len(student_ids) > UNMARK_MAX_STUDENTS
            or not all(isinstance(student_id, str) for student_id in student_ids)
        ):
            raise ApplicationError(Messages.INVALID_SCHEMA, 400)
        status = data.get("status", "present")
        # The service announces MARKS_UNDONE to the class's opted-in connections once committed.
        await self._on_session(data, lambda session: _unmark(session=session, student_ids=student_ids, status=status))

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
        "MARK_REST": on_mark_rest,
        "UNMARK": on_unmark,
        "CATCH_UP": on_catch_up,
    }

    # Channel-layer messages --------------------------------------------------------------

    async def deliver(self, message: dict) -> None:
        """Take a message for this socket from the process's fan-out (live.fanout.LocalFanout).

        A frame goes to the client at once (extension events only to clients that opted in);
        anything else waits its turn in the inbox (live.compat.WithoutChannel).
        """
        if message["type"] != broadcast.FRAME:
            self.inbox.put_nowait(message)
            return
        if message.get("extension") and not self.membership.opted_in:
            return
        texts = message["texts"] if "texts" in message else (message["text"],)
        if not self.accepted:
            self.pending.extend(texts)
            return
        if self.wire is not None and self.wire.plain():
            # The same message goes to every member: its frames are built once, by the first.
            frames = message.get("frames")
            if frames is None:
                frames = message["frames"] = [text_frame(text) for text in texts]
            for frame in frames:
                self.wire.write(frame)
            return
        for text in texts:
            await self.base_send({"type": "websocket.send", "text": text})

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

    # Helpers -----------------------------------------------------------------------------

    async def _send_snapshot(self, event: str, class_ids: list[str]) -> None:
        snapshot = await in_thread(snapshot_sync)(user=self.user, class_ids=class_ids)
        await presence.fill_online(snapshot, user=self.user)
        await self._send_frame(event, snapshot)
