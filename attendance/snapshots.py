"""Snapshots for the opt-in extension: everything a page needs to draw and resync."""

from accounts.models import Role, User
from attendance.checkin import checkin_state_student, checkin_state_teacher
from attendance.models import AttendanceRecord, AttendanceSession
from attendance.selectors import NOT_YET_UPDATED, count_statuses, iso_millis
from classes.models import Class, Enrollment


def snapshot_sync(*, user: User, class_ids: list[str]) -> dict:
    """Describe the user's classes and their running sessions.

    A teacher gets each roster with every mark and the counts; a student gets only
    their own status, never classmates' marks.
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
                    "startedAt": iso_millis(session.started_at),
                    "marks": marks,
                    "counts": counts,
                    "checkIn": checkin_state_teacher(session),
                }
        elif session is not None:
            record = AttendanceRecord.objects.filter(session=session, student=user).first()
            entry["session"] = {
                "startedAt": iso_millis(session.started_at),
                "status": record.status if record else NOT_YET_UPDATED,
                "checkIn": checkin_state_student(session, user),
            }
        entries.append(entry)
    return {"userId": str(user.pk), "role": user.role, "classes": entries}
