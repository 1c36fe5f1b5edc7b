"""Reads on sessions: who is in which, summaries, a student's status."""

from collections.abc import Iterable
from datetime import UTC, datetime

from django.db.models import Count

from accounts.models import User
from attendance.models import AttendanceRecord, AttendanceSession, Status
from classes.models import Class
from classes.selectors import class_ids_of
from core.errors import ApplicationError, Messages
from core.ids import parse_id

NOT_YET_UPDATED = "not yet updated"


def iso_millis(moment: datetime) -> str:
    """Format a datetime as the contract's ISO-8601 UTC string with milliseconds and Z."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def session_active(*, klass: Class) -> AttendanceSession | None:
    """Return the running session of a class, if any."""
    return AttendanceSession.objects.filter(klass=klass, is_active=True).first()


def sessions_active_for(*, user: User) -> list[AttendanceSession]:
    """Return the running sessions of every class a user teaches or is enrolled in."""
    class_ids = class_ids_of(user=user)
    if not class_ids:
        return []
    return list(
        AttendanceSession.objects.filter(klass_id__in=class_ids, is_active=True)
        .select_related("klass")
        .order_by("started_at")
    )


def session_for_sender(*, user: User, class_id: object = None) -> AttendanceSession:
    """Pick the running session an event of `user` is about (contract's multi-session rule)."""
    sessions = sessions_active_for(user=user)
    if class_id is not None:
        key = parse_id(Class, class_id)
        for session in sessions:
            if key is not None and session.klass_id == key:
                return session
        raise ApplicationError(Messages.WS_NO_SESSION, 404)
    if not sessions:
        raise ApplicationError(Messages.WS_NO_SESSION, 404)
    if len(sessions) > 1:
        raise ApplicationError(Messages.WS_CLASS_ID_REQUIRED, 400)
    return sessions[0]


def count_statuses(statuses: Iterable[str]) -> dict[str, int]:
    """Return {present, late, excused, absent, total}: one count per exact status, `total` their sum."""
    counts = dict.fromkeys(Status.values, 0)
    for status in statuses:
        counts[status] += 1
    counts["total"] = sum(counts.values())
    return counts


def counts_fields(counts: dict[str, int]) -> dict[str, int]:
    """Map {present, late, excused, absent, total} onto a session's count fields."""
    return {f"{name}_count": counts[name] for name in (*Status.values, "total")}


def session_counts(session: AttendanceSession) -> dict[str, int]:
    """Return a finished session's stored counts as {present, late, excused, absent, total}."""
    return {name: getattr(session, f"{name}_count") for name in (*Status.values, "total")}


def session_summary(*, session: AttendanceSession) -> dict[str, int]:
    """Return TODAY_SUMMARY: one count per status of the students marked so far, `total` their sum."""
    counts = dict.fromkeys(Status.values, 0)
    rows = AttendanceRecord.objects.filter(session=session).values("status").annotate(n=Count("pk"))
    for row in rows:
        counts[row["status"]] = row["n"]
    counts["total"] = sum(counts.values())
    return counts


def student_status(*, session: AttendanceSession, student: User) -> str:
    """Return a student's status in a running session, or `not yet updated`."""
    record = AttendanceRecord.objects.filter(session=session, student=student).only("status").first()
    return record.status if record else NOT_YET_UPDATED


def my_attendance(*, klass: Class, student: User) -> str | None:
    """Return the status persisted by the class's latest ended session, or None."""
    session = (
        AttendanceSession.objects.filter(klass=klass, is_active=False, ended_at__isnull=False)
        .order_by("-ended_at")
        .first()
    )
    if session is None:
        return None
    record = AttendanceRecord.objects.filter(session=session, student=student).only("status").first()
    return record.status if record else None


def session_count(*, klass: Class) -> int:
    """Return how many sessions a class has had, a running one included."""
    return AttendanceSession.objects.filter(klass=klass).count()
