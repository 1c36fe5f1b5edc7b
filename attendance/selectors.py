"""Reads on sessions: who is in which, summaries, a student's status."""

from collections.abc import Iterable
from datetime import UTC, datetime

from django.db.models import Count

from accounts.models import User
from attendance.models import AttendanceRecord, AttendanceSession, Status
from classes.models import Class, Enrollment
from classes.selectors import class_ids_of
from core.errors import ApplicationError, Messages
from core.ids import parse_id

NOT_YET_UPDATED = "not yet updated"
SUMMARY_PASSES = 5


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
    return pick_session(sessions_active_for(user=user), class_id=class_id)


def pick_session(sessions: list[AttendanceSession], *, class_id: object = None) -> AttendanceSession:
    """Apply the multi-session rule to a sender's running sessions (as sessions_active_for lists them)."""
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


def session_version(*, session: AttendanceSession) -> int:
    """Return a running session's version (its latest `seq`); raise when it is no longer running."""
    version = AttendanceSession.objects.filter(pk=session.pk, is_active=True).values_list("version", flat=True).first()
    if version is None:
        raise ApplicationError(Messages.WS_NO_SESSION, 404)
    return version


def session_summary_at(*, session: AttendanceSession) -> tuple[dict[str, int], int]:
    """Return TODAY_SUMMARY of a running session and the version (`seq`) its counts are exact at.

    The counts and the version are separate reads; a mark committed between them shows as a
    changed version, and the counts are read again (marks come a few per second per class, so a
    second pass is rare). Should writes keep coming through every pass, the counts returned are
    at least as new as the version returned.
    """
    version = session_version(session=session)
    for _ in range(SUMMARY_PASSES):
        summary = session_summary(session=session)
        after = session_version(session=session)
        if after == version:
            break
        version, before = after, version
    else:
        version = before
    return summary, version


def session_changes(*, session: AttendanceSession, since: int, student: User | None = None) -> dict[str, str]:
    """Return {studentId: status} of the records written after version `since` (one student's only, if given)."""
    records = AttendanceRecord.objects.filter(session=session, seq__gt=since)
    if student is not None:
        records = records.filter(student=student)
    else:
        # As in the snapshot: a student removed from the class mid-session is no longer shown.
        roster = list(Enrollment.objects.filter(klass_id=session.klass_id).values_list("student_id", flat=True))
        records = records.filter(student_id__in=roster)
    return {str(student_id): status for student_id, status in records.values_list("student_id", "status")}


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
