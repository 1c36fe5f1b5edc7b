"""Snapshots for the opt-in extension: everything a page needs to draw and resync."""

from accounts.models import Role, User
from attendance.checkin import checkin_state_student, checkin_state_teacher
from attendance.models import AttendanceRecord, AttendanceSession
from attendance.selectors import NOT_YET_UPDATED, count_statuses, iso_millis, session_changes
from classes.models import Class, Enrollment
from core.errors import ApplicationError, Messages
from core.ids import parse_id


def snapshot_sync(*, user: User, class_ids: list[str]) -> dict:
    """Describe the user's classes and their running sessions.

    A teacher gets each roster with every mark and the counts; a student gets only
    their own status, never classmates' marks. A running session's `seq` is its version when
    the snapshot was taken: the marks shown hold at least every change up to it.
    """
    classes = list(Class.objects.filter(pk__in=class_ids).order_by("class_name"))
    sessions = {
        session.klass_id: session for session in AttendanceSession.objects.filter(klass__in=classes, is_active=True)
    }
    entries = []
    for klass in classes:
        session = sessions.get(klass.pk)
        entry = {"classId": str(klass.pk), "className": klass.class_name, "session": None}
        if user.role == Role.TEACHER:
            student_ids = list(Enrollment.objects.filter(klass=klass).values_list("student_id", flat=True))
            enrolled = set(student_ids)
            students = User.objects.filter(pk__in=student_ids).order_by("name", "email")
            entry["students"] = [{"_id": str(s.pk), "name": s.name, "email": s.email} for s in students]
            if session is not None:
                marks = {
                    str(student_id): status
                    for student_id, status in AttendanceRecord.objects.filter(session=session).values_list(
                        "student_id", "status"
                    )
                    if student_id in enrolled
                }
                counts = count_statuses(marks.values())
                counts["notMarked"] = len(student_ids) - len(marks)
                counts["total"] = len(student_ids)
                entry["session"] = {
                    **_session_fields(session),
                    "marks": marks,
                    "counts": counts,
                    "checkIn": checkin_state_teacher(session),
                }
        elif session is not None:
            record = AttendanceRecord.objects.filter(session=session, student=user).first()
            entry["session"] = {
                **_session_fields(session),
                "status": record.status if record else NOT_YET_UPDATED,
                "checkIn": checkin_state_student(session, user),
            }
        entries.append(entry)
    return {"userId": str(user.pk), "role": user.role, "classes": entries}


def _session_fields(session: AttendanceSession) -> dict:
    # The version is read (with the session row) before the records, so `seq` never claims a
    # change the marks do not show.
    return {"sessionId": str(session.pk), "seq": session.version, "startedAt": iso_millis(session.started_at)}


def catch_up_sync(*, user: User, class_id: str, session_id: str | None, since: int) -> dict:
    """Answer a client that holds a class's session at version `since`: what changed since, or a fresh entry.

    While that session is still running (and `since` is not ahead of it), the answer is
    `{classId, sessionId, seq, marks}` with the records written after `since` (a student gets
    only their own). Otherwise (the session ended, another one runs, the client holds none or
    an impossible version) it is `{classId, sessionId, seq, snapshot}` with the class's
    SNAPSHOT entry; `sessionId` and `seq` are then the running session's, or null.
    """
    key = parse_id(Class, class_id)
    if key is None or not Class.objects.filter(pk=key).exists():
        raise ApplicationError(Messages.CLASS_NOT_FOUND, 404)
    session = AttendanceSession.objects.filter(klass_id=key, is_active=True).first()
    if session is not None and str(session.pk) == session_id and since <= session.version:
        student = None if user.role == Role.TEACHER else user
        marks = session_changes(session=session, since=since, student=student)
        return {"classId": class_id, "sessionId": session_id, "seq": session.version, "marks": marks}
    entries = snapshot_sync(user=user, class_ids=[key])["classes"]
    if not entries:  # deleted meanwhile
        raise ApplicationError(Messages.CLASS_NOT_FOUND, 404)
    entry = entries[0]
    running = entry["session"]
    return {
        "classId": class_id,
        "sessionId": running["sessionId"] if running else None,
        "seq": running["seq"] if running else None,
        "snapshot": entry,
    }


def roster_of(*, class_id: str) -> list[str]:
    """Return the ids of a class's students, as strings."""
    return [
        str(key)
        for key in Enrollment.objects.filter(klass_id=parse_id(Class, class_id)).values_list("student_id", flat=True)
    ]
