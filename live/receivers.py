"""Tell WebSocket clients what the domain announced (connected in LiveConfig.ready).

Every receiver runs after the write it announces has committed, in sync code (a view, the
admin, a command, or a consumer's pool thread); a failed send raises BroadcastFailed, which
core.events logs without failing the write.
"""

import logging

from asgiref.sync import async_to_sync
from django.contrib.auth.signals import user_logged_out

from accounts import events as account_events
from attendance import checkin
from attendance import events as attendance_events
from attendance.selectors import iso_millis
from classes import events as class_events
from live import broadcast, presence
from live.auth import session_digest

logger = logging.getLogger("attendance.ws")


def session_started(*, session, **kwargs) -> None:
    """SESSION_STARTED to the opted-in connections of the class; the teacher's sockets look their sessions up again."""
    data = {"classId": str(session.klass_id), "startedAt": iso_millis(session.started_at), **_session_id(session)}
    try:
        async_to_sync(broadcast.to_class_live)(str(session.klass_id), "SESSION_STARTED", data)
    finally:
        _sessions_changed(session)


def session_finished(*, session, summary: dict, automatic: bool, **kwargs) -> None:
    """DONE to the whole class; a session finished automatically is SESSION_ENDED, for opted-in clients only."""
    data = broadcast.done_data(session, summary)
    try:
        if automatic:
            async_to_sync(broadcast.to_class_live)(str(session.klass_id), "SESSION_ENDED", {**data, "automatic": True})
        else:
            async_to_sync(broadcast.to_class)(str(session.klass_id), "DONE", data)
    finally:
        _sessions_changed(session)


def _session_id(session) -> dict:
    return {"sessionId": str(session.pk), "seq": session.version}


def _sessions_changed(session) -> None:
    # The teacher's sockets keep their running sessions between frames (live.sessions).
    async_to_sync(broadcast.to_user_sockets)(str(session.klass.teacher_id), {"type": broadcast.SESSIONS})


def record_updated(*, session, record, change, **kwargs) -> None:
    """A mark from the sessions route reaches the class as any mark; a correction, the student's opted-in sockets.

    The note is never broadcast: it is for the teacher and that student, who read it on the routes and pages.
    """
    class_id = str(session.klass_id)
    if change is None:
        data = {"studentId": str(record.student_id), "status": record.status, "classId": class_id}
        async_to_sync(broadcast.to_class)(class_id, "ATTENDANCE_MARKED", data)
    else:
        data = {"classId": class_id, "sessionId": str(session.pk), "status": record.status}
        async_to_sync(broadcast.to_user)(str(record.student_id), "RECORD_CHANGED", data)


def marks_removed(*, session, student_ids: list[str], **kwargs) -> None:
    """MARKS_UNDONE to the opted-in connections of the class: those students are unmarked again."""
    class_id = str(session.klass_id)
    data = {"classId": class_id, "studentIds": student_ids}
    async_to_sync(broadcast.to_class_live)(class_id, "MARKS_UNDONE", data)


def checkin_changed(*, session, state: dict, **kwargs) -> None:
    """CHECK_IN_STATE {classId, open} to the opted-in connections of the class (never a code)."""
    class_id = str(session.klass_id)
    async_to_sync(broadcast.to_class_live)(class_id, "CHECK_IN_STATE", {"classId": class_id, **state})


def checked_in(*, session, record, teacher_state: dict, **kwargs) -> None:
    """ATTENDANCE_MARKED to the class, as for a teacher's mark; CHECKED_IN with the flags to the teacher."""
    class_id = str(session.klass_id)
    student_id = str(record.student_id)
    try:
        mark = {"studentId": student_id, "status": record.status, **broadcast.session_fields(session)}
        async_to_sync(broadcast.to_class)(class_id, "ATTENDANCE_MARKED", mark)
    finally:
        data = {"classId": class_id, "studentId": student_id, "status": record.status, "checkIn": teacher_state}
        async_to_sync(broadcast.to_user)(str(session.klass.teacher_id), "CHECKED_IN", data)


def claim_made(*, session, student, **kwargs) -> None:
    """CLAIM {classId, studentId} to the teacher's opted-in connections."""
    data = {"classId": str(session.klass_id), "studentId": str(student.pk)}
    async_to_sync(broadcast.to_user)(str(session.klass.teacher_id), "CLAIM", data)


def page_seen(*, user_id: str, since, **kwargs) -> bool:
    """Answer whether the student's live page was open at some moment since the session started."""
    return async_to_sync(presence.seen_since)(user_id=user_id, since=since.timestamp())


def student_enrolled(*, klass, student, **kwargs) -> None:
    """Make the student's sockets join the class; tell the teacher's opted-in sockets the roster changed."""
    _roster_changed(broadcast.ENROLLED, klass, student)


def student_unenrolled(*, klass, student, **kwargs) -> None:
    """Make the student's sockets leave the class; tell the teacher's opted-in sockets the roster changed."""
    _roster_changed(broadcast.UNENROLLED, klass, student)


def _roster_changed(kind: str, klass, student) -> None:
    class_id = str(klass.pk)
    try:
        async_to_sync(broadcast.to_user_sockets)(str(student.pk), {"type": kind, "class_id": class_id})
    finally:
        async_to_sync(broadcast.to_user)(str(klass.teacher_id), "ROSTER_CHANGED", {"classId": class_id})


def access_revoked(*, user_id: str, **kwargs) -> None:
    """Close every socket of a user whose tokens were revoked, or who was deactivated or deleted."""
    _close_sockets(user_id, {"type": broadcast.REVOKED})


def signed_out(*, request, user, **kwargs) -> None:
    """Close the sockets of the page session that signed out (the user's other sessions stay)."""
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if user is not None and session_key:
        _close_sockets(str(user.pk), {"type": broadcast.REVOKED, "session": session_digest(session_key)})


def _close_sockets(user_id: str, message: dict) -> None:
    # Signing out must not fail because Redis is away: the sockets then close at their next
    # frame, when the consumer asks again whether the account still holds (WS_RECHECK_SECONDS).
    try:
        async_to_sync(broadcast.to_user_sockets)(user_id, message)
    except broadcast.BroadcastFailed:
        logger.warning("Could not tell user %s's sockets to close; they close at their next frame", user_id)


def class_renamed(*, klass, student_ids: list[str], **kwargs) -> None:
    """Opted-in student sockets get the class again (ENROLLED), under its new name."""
    _to_each(student_ids, {"type": broadcast.ENROLLED, "class_id": str(klass.pk)})


def class_archived(*, klass, student_ids: list[str], **kwargs) -> None:
    """An archived class leaves its students' sockets (UNENROLLED to those that opted in)."""
    _to_each(student_ids, {"type": broadcast.UNENROLLED, "class_id": str(klass.pk)})


def class_restored(*, klass, student_ids: list[str], **kwargs) -> None:
    """A restored class joins its students' sockets again (ENROLLED to those that opted in)."""
    _to_each(student_ids, {"type": broadcast.ENROLLED, "class_id": str(klass.pk)})


def class_deleted(*, class_id: str, teacher_id: str, student_ids: list[str], **kwargs) -> None:
    """A deleted class leaves the sockets of its students and its teacher."""
    _to_each([*student_ids, teacher_id], {"type": broadcast.UNENROLLED, "class_id": class_id})


def _to_each(user_ids: list[str], message: dict) -> None:
    failed = None
    for user_id in user_ids:
        try:
            async_to_sync(broadcast.to_user_sockets)(user_id, message)
        except broadcast.BroadcastFailed as exc:
            failed = exc  # tell the others all the same
    if failed is not None:
        raise failed


def connect() -> None:
    """Subscribe to the domain's events."""
    attendance_events.session_started.connect(session_started, dispatch_uid="live.session_started")
    attendance_events.marks_removed.connect(marks_removed, dispatch_uid="live.marks_removed")
    attendance_events.record_updated.connect(record_updated, dispatch_uid="live.record_updated")
    attendance_events.session_finished.connect(session_finished, dispatch_uid="live.session_finished")
    class_events.student_enrolled.connect(student_enrolled, dispatch_uid="live.student_enrolled")
    class_events.student_unenrolled.connect(student_unenrolled, dispatch_uid="live.student_unenrolled")
    account_events.access_revoked.connect(access_revoked, dispatch_uid="live.access_revoked")
    user_logged_out.connect(signed_out, dispatch_uid="live.signed_out")
    class_events.class_renamed.connect(class_renamed, dispatch_uid="live.class_renamed")
    class_events.class_archived.connect(class_archived, dispatch_uid="live.class_archived")
    class_events.class_restored.connect(class_restored, dispatch_uid="live.class_restored")
    class_events.class_deleted.connect(class_deleted, dispatch_uid="live.class_deleted")
    attendance_events.checkin_changed.connect(checkin_changed, dispatch_uid="live.checkin_changed")
    attendance_events.checked_in.connect(checked_in, dispatch_uid="live.checked_in")
    attendance_events.claim_made.connect(claim_made, dispatch_uid="live.claim_made")
    checkin.page_seen_requested.connect(page_seen, dispatch_uid="live.page_seen")
