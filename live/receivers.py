"""Tell WebSocket clients what the domain announced (connected in LiveConfig.ready).

Every receiver runs after the write it announces has committed, in sync code (a view, the
admin, a command, or a consumer's pool thread); a failed send raises BroadcastFailed, which
core.events logs without failing the write.
"""

from asgiref.sync import async_to_sync

from attendance import events as attendance_events
from attendance.selectors import iso_millis
from classes import events as class_events
from live import broadcast


def session_started(*, session, **kwargs) -> None:
    """SESSION_STARTED to the opted-in connections of the class."""
    data = {"classId": str(session.klass_id), "startedAt": iso_millis(session.started_at)}
    async_to_sync(broadcast.to_class_live)(str(session.klass_id), "SESSION_STARTED", data)


def session_finished(*, session, summary: dict, automatic: bool, **kwargs) -> None:
    """DONE to the whole class; a session finished automatically is SESSION_ENDED, for opted-in clients only."""
    data = broadcast.done_data(session, summary)
    if automatic:
        async_to_sync(broadcast.to_class_live)(str(session.klass_id), "SESSION_ENDED", {**data, "automatic": True})
    else:
        async_to_sync(broadcast.to_class)(str(session.klass_id), "DONE", data)


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


def connect() -> None:
    """Subscribe to the domain's events."""
    attendance_events.session_started.connect(session_started, dispatch_uid="live.session_started")
    attendance_events.marks_removed.connect(marks_removed, dispatch_uid="live.marks_removed")
    attendance_events.record_updated.connect(record_updated, dispatch_uid="live.record_updated")
    attendance_events.session_finished.connect(session_finished, dispatch_uid="live.session_finished")
    class_events.student_enrolled.connect(student_enrolled, dispatch_uid="live.student_enrolled")
    class_events.student_unenrolled.connect(student_unenrolled, dispatch_uid="live.student_unenrolled")
