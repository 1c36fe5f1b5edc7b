"""Writes on sessions: start, mark, finish (DONE), and finishing forgotten sessions."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from attendance import events
from attendance.models import AttendanceRecord, AttendanceSession, Status
from attendance.selectors import count_statuses, counts_fields, session_active
from classes.models import Class, Enrollment
from core.errors import ApplicationError, Messages
from core.events import send_after_commit
from core.ids import parse_id
from core.transactions import run_atomic

VALID_STATUSES = frozenset(Status.values)
# Backends whose mark is the two-statement path (UPDATE ... RETURNING, INSERT ... ON CONFLICT).
SQL_VENDORS = {"sqlite", "postgresql"}


def session_start(*, teacher: User, klass: Class) -> AttendanceSession:
    """Start a session for a class, or return the running one untouched; an archived class is a 409."""
    if klass.archived:
        raise ApplicationError(Messages.CLASS_ARCHIVED, 409)
    session_finish_stale(klass=klass)
    running = session_active(klass=klass)
    if running is not None:
        return running

    def create() -> AttendanceSession:
        session = AttendanceSession.objects.create(klass=klass, teacher=teacher, started_at=_now(), is_active=True)
        send_after_commit(events.session_started, session=session)
        return session

    try:
        session = run_atomic(create)
    except IntegrityError:
        # A concurrent start created it first; that session is the one.
        running = session_active(klass=klass)
        if running is None:
            raise
        return running
    return session


def attendance_mark(*, session: AttendanceSession, student_id: object, status: object, by: User) -> AttendanceRecord:
    """Record a student's status in a running session (a later mark replaces it).

    On success `session.version` (and the record's `seq`) is the session's version after this
    write. On SQL a mark is two statements in one transaction: a conditional UPDATE of the
    session row that also checks the enrollment and returns the new version, and an upsert of
    the record. Writing the session row first serializes a mark against a concurrent DONE.
    """
    if not isinstance(status, str) or status not in VALID_STATUSES:
        raise ApplicationError(Messages.WS_INVALID_STATUS, 400)
    key = parse_id(User, student_id)
    if key is None:
        raise ApplicationError(Messages.WS_STUDENT_NOT_ENROLLED, 404)
    now = _now()
    sql = connection.vendor in SQL_VENDORS

    def write() -> AttendanceRecord:
        version = _bump_for_mark(session, key) if sql else _bump_for_mark_orm(session, key)
        record = AttendanceRecord(
            session=session, student_id=key, status=status, marked_at=now, marked_by=by, seq=version
        )
        if sql:
            AttendanceRecord.objects.bulk_create(
                [record],
                update_conflicts=True,
                unique_fields=["session", "student"],
                update_fields=["status", "marked_at", "marked_by", "seq"],
            )
        else:
            # An UPDATE, and an INSERT only for a first mark: the session-row write above already
            # keeps two marks of one session from racing here.
            fields = {"status": status, "marked_at": now, "marked_by": by, "seq": version}
            if not AttendanceRecord.objects.filter(session=session, student_id=key).update(**fields):
                record.save(force_insert=True)
        session.version = version
        send_after_commit(events.attendance_marked, session=session, record=record)
        return record

    try:
        return run_atomic(write)
    except DatabaseError as exc:
        raise ApplicationError(Messages.WS_MARK_FAILED, 503) from exc


def _bump_for_mark(session: AttendanceSession, student_key: object) -> int:
    """Bump a running session's version if the student is enrolled; return the new version (SQL)."""
    sessions, enrollments = AttendanceSession._meta, Enrollment._meta
    quote = connection.ops.quote_name
    table = quote(sessions.db_table)
    statement = (
        f"UPDATE {table} SET {quote('version')} = {quote('version')} + 1"
        f" WHERE {quote('id')} = %s AND {quote('is_active')} = %s AND EXISTS ("
        f"SELECT 1 FROM {quote(enrollments.db_table)} WHERE {quote(enrollments.get_field('klass').column)} = "
        f"{table}.{quote(sessions.get_field('klass').column)} AND {quote(enrollments.get_field('student').column)} = %s"
        f") RETURNING {quote('version')}"
    )
    for _ in range(2):
        with connection.cursor() as cursor:
            cursor.execute(statement, [session.pk, True, student_key])
            row = cursor.fetchone()
        if row is not None:
            return row[0]
        _refuse_mark(session, student_key)
    raise ApplicationError(Messages.WS_NO_SESSION, 404)


def _bump_for_mark_orm(session: AttendanceSession, student_key: object) -> int:
    """Bump a running session's version if the student is enrolled; return the new version (MongoDB)."""
    if not Enrollment.objects.filter(klass_id=session.klass_id, student_id=student_key).exists():
        raise ApplicationError(Messages.WS_STUDENT_NOT_ENROLLED, 404)
    if not AttendanceSession.objects.filter(pk=session.pk, is_active=True).update(version=F("version") + 1):
        raise ApplicationError(Messages.WS_NO_SESSION, 404)
    return AttendanceSession.objects.filter(pk=session.pk).values_list("version", flat=True).get()


def _refuse_mark(session: AttendanceSession, student_key: object) -> None:
    """Raise why a mark's conditional UPDATE touched nothing; return if nothing stands in the way now."""
    if not Enrollment.objects.filter(klass_id=session.klass_id, student_id=student_key).exists():
        raise ApplicationError(Messages.WS_STUDENT_NOT_ENROLLED, 404)
    if not AttendanceSession.objects.filter(pk=session.pk, is_active=True).exists():
        raise ApplicationError(Messages.WS_NO_SESSION, 404)


def session_finish(
    *, session: AttendanceSession, automatic: bool = False, now: datetime | None = None
) -> dict[str, int]:
    """End a running session: unmarked students become absent, one record each, all or nothing.

    Once committed, `session_finished` announces it (DONE to the class, or SESSION_ENDED when automatic).
    """
    now = now or _now()

    def write() -> dict[str, int]:
        touched = AttendanceSession.objects.filter(pk=session.pk, is_active=True).update(
            is_active=False, ended_at=now, version=F("version") + 1
        )
        if not touched:
            raise ApplicationError(Messages.WS_NO_SESSION, 404)
        version = AttendanceSession.objects.filter(pk=session.pk).values_list("version", flat=True).get()
        roster = set(Enrollment.objects.filter(klass_id=session.klass_id).values_list("student_id", flat=True))
        marked = dict(AttendanceRecord.objects.filter(session=session).values_list("student_id", "status"))
        # A student removed from the class mid-session is not part of its result.
        dropped = [student for student in marked if student not in roster]
        if dropped:
            AttendanceRecord.objects.filter(session=session, student_id__in=dropped).delete()
        AttendanceRecord.objects.bulk_create(
            [
                AttendanceRecord(session=session, student_id=student, status=Status.ABSENT, marked_at=now, seq=version)
                for student in roster
                if student not in marked
            ],
            batch_size=500,
        )
        summary = count_statuses(status for student, status in marked.items() if student in roster)
        # Everyone not marked otherwise is absent: the unmarked ones were just recorded so.
        summary["absent"] += len(roster) - summary["total"]
        summary["total"] = len(roster)
        AttendanceSession.objects.filter(pk=session.pk).update(
            **counts_fields(summary),
            finished_automatically=automatic,
        )
        session.version = version
        send_after_commit(events.session_finished, session=session, summary=summary, automatic=automatic)
        return summary

    try:
        summary = run_atomic(write)
    except DatabaseError as exc:
        raise ApplicationError(Messages.WS_PERSIST_FAILED, 503) from exc
    session.is_active, session.ended_at = False, now
    return summary


def session_finish_stale(*, klass: Class | None = None, now: datetime | None = None) -> int:
    """Finish running sessions older than SESSION_MAX_HOURS; return how many were finished."""
    now = now or _now()
    cutoff = now - timedelta(hours=settings.SESSION_MAX_HOURS)
    stale = AttendanceSession.objects.filter(is_active=True, started_at__lt=cutoff)
    if klass is not None:
        stale = stale.filter(klass=klass)
    finished = 0
    for session in list(stale):
        try:
            session_finish(session=session, automatic=True, now=now)
        except ApplicationError:
            continue  # finished by someone else meanwhile, or the write failed: next run retries
        finished += 1
    return finished


def _now() -> datetime:
    # Milliseconds only: MongoDB keeps no more, and the contract prints no more.
    moment = timezone.now()
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
