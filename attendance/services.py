"""Writes on sessions: start, mark, finish (DONE), correct a finished one, finish forgotten ones."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from attendance import events
from attendance.models import NOTE_MAX_LENGTH, AttendanceRecord, AttendanceSession, RecordChange, Status
from attendance.selectors import count_statuses, counts_fields, session_active
from classes.models import Class, Enrollment
from core.errors import ApplicationError, Messages
from core.events import send_after_commit
from core.ids import parse_id
from core.sql import placeholders
from core.transactions import run_atomic

VALID_STATUSES = frozenset(Status.values)
# Backends whose mark is the two-statement path (UPDATE ... RETURNING, INSERT ... ON CONFLICT).
SQL_VENDORS = {"sqlite", "postgresql"}
T = TypeVar("T")


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


def record_input_check(*, status: object, note: object = None) -> None:
    """Refuse a status other than the four, and a note that is not text of at most NOTE_MAX_LENGTH."""
    if not isinstance(status, str) or status not in VALID_STATUSES:
        raise ApplicationError(Messages.WS_INVALID_STATUS, 400)
    if note is None:
        return
    if not isinstance(note, str):
        raise ApplicationError(Messages.INVALID_SCHEMA, 400)
    if len(note) > NOTE_MAX_LENGTH:
        raise ApplicationError(Messages.NOTE_TOO_LONG, 400)


def attendance_mark(
    *, session: AttendanceSession, student_id: object, status: object, by: User, note: str | None = None
) -> AttendanceRecord:
    """Record a student's status in a running session (a later mark replaces it); `note` replaces the note.

    On success `session.version` (and the record's `seq`) is the session's version after this
    write. On SQL a mark is two statements in one transaction: a conditional UPDATE of the
    session row that also checks the enrollment and returns the new version, and an upsert of
    the record. Writing the session row first serializes a mark against a concurrent DONE.
    """
    record_input_check(status=status, note=note)
    key = parse_id(User, student_id)
    if key is None:
        raise ApplicationError(Messages.WS_STUDENT_NOT_ENROLLED, 404)
    now = _now()
    sql = connection.vendor in SQL_VENDORS

    def write() -> AttendanceRecord:
        version = _bump_for_mark(session, key) if sql else _bump_for_mark_orm(session, key)
        record = AttendanceRecord(
            session=session, student_id=key, status=status, marked_at=now, marked_by=by, seq=version, note=note or ""
        )
        # Without a note the record keeps the one it has.
        noted = ["note"] if note is not None else []
        if sql:
            _upsert_record(record, updated=["status", "marked_at", "marked_by", "seq", *noted])
        else:
            # An UPDATE, and an INSERT only for a first mark: the session-row write above already
            # keeps two marks of one session from racing here.
            fields = {"status": status, "marked_at": now, "marked_by": by, "seq": version}
            if note is not None:
                fields["note"] = note
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


def _upsert_record(record: AttendanceRecord, *, updated: list[str]) -> None:
    """Insert a record, or update `updated` of the one the student has in the session (SQL): one statement.

    What `bulk_create(update_conflicts=True)` writes, without the ORM's cost of building it
    for every mark of a busy school.
    """
    meta = AttendanceRecord._meta
    quote = connection.ops.quote_name
    names = ("session", "student", "status", "marked_at", "marked_by", "seq", "note")
    fields = [meta.get_field(name) for name in names]
    unique = ", ".join(quote(meta.get_field(name).column) for name in ("session", "student"))
    assignments = ", ".join(
        f"{column} = excluded.{column}" for column in (quote(meta.get_field(name).column) for name in updated)
    )
    statement = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(field.column) for field in fields)})"
        f" VALUES ({placeholders(len(fields))}) ON CONFLICT ({unique}) DO UPDATE SET {assignments}"
        f" RETURNING {quote(meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        values = [field.get_db_prep_save(getattr(record, field.attname), connection) for field in fields]
        cursor.execute(statement, values)
        record.pk = cursor.fetchone()[0]
    record._state.adding, record._state.db = False, connection.alias


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


def _write_session(session: AttendanceSession, write: Callable[[], T], *, running: bool = True) -> T:
    """Run `write` in one transaction, after bumping the session's version while it is (or is not) running.

    That first write serializes `write` against DONE and against other writes of the session.
    """

    def guarded() -> T:
        if not AttendanceSession.objects.filter(pk=session.pk, is_active=running).update(version=F("version") + 1):
            raise ApplicationError(Messages.WS_NO_SESSION, 404)
        # The version after this write: the `seq` of what it writes and announces.
        session.version = AttendanceSession.objects.filter(pk=session.pk).values_list("version", flat=True).get()
        return write()

    try:
        return run_atomic(guarded)
    except DatabaseError as exc:
        raise ApplicationError(Messages.WS_MARK_FAILED, 503) from exc


def attendance_mark_rest(
    *, session: AttendanceSession, by: User, status: object = Status.PRESENT
) -> list[AttendanceRecord]:
    """Mark every enrolled student not yet marked in a running session with `status` (present by default).

    Returns the new records (none when everyone is marked); each is announced as a mark.
    """
    record_input_check(status=status)
    now = _now()

    def write() -> list[AttendanceRecord]:
        marked = set(AttendanceRecord.objects.filter(session=session).values_list("student_id", flat=True))
        roster = Enrollment.objects.filter(klass_id=session.klass_id).values_list("student_id", flat=True)
        records = [
            AttendanceRecord(
                session=session, student_id=student, status=status, marked_at=now, marked_by=by, seq=session.version
            )
            for student in roster
            if student not in marked
        ]
        AttendanceRecord.objects.bulk_create(records, batch_size=500)
        for record in records:
            send_after_commit(events.attendance_marked, session=session, record=record)
        return records

    return _write_session(session, write)


def attendance_unmark(*, session: AttendanceSession, student_ids: list, status: object = Status.PRESENT) -> list[str]:
    """Undo marks in a running session: the named students that still hold `status` become unmarked again.

    A student marked otherwise since is left alone. Returns the ids of the students unmarked.
    """
    record_input_check(status=status)
    keys = [key for key in (parse_id(User, raw) for raw in student_ids) if key is not None]

    def write() -> list[str]:
        undone = AttendanceRecord.objects.filter(session=session, student_id__in=keys, status=status)
        removed = [str(key) for key in undone.values_list("student_id", flat=True)]
        undone.delete()
        if removed:
            send_after_commit(events.marks_removed, session=session, student_ids=removed)
        return removed

    return _write_session(session, write)


def record_set(
    *, session: AttendanceSession, student_id: object, status: object, by: User, note: str | None = None
) -> AttendanceRecord:
    """Set a student's record from the sessions route: a mark while the session runs, a correction once finished."""
    if session.is_active:
        try:
            record = attendance_mark(session=session, student_id=student_id, status=status, note=note, by=by)
        except ApplicationError as exc:
            if exc.message != Messages.WS_NO_SESSION:
                raise
            session.refresh_from_db()  # finished meanwhile: this is now a correction
        else:
            send_after_commit(events.record_updated, session=session, record=record, change=None)
            return record
    return record_correct(session=session, student_id=student_id, status=status, note=note, by=by)


def record_correct(
    *, session: AttendanceSession, student_id: object, status: object, by: User, note: str | None = None
) -> AttendanceRecord:
    """Correct a student's record in a finished session: counts follow, and the change is logged for good.

    `note`, when given, replaces the record's note and is kept with the change.
    """
    record_input_check(status=status, note=note)
    key = parse_id(User, student_id)
    record = AttendanceRecord.objects.filter(session=session, student_id=key).first() if key is not None else None
    if record is None:
        raise ApplicationError(Messages.RECORD_NOT_FOUND, 404)
    now = _now()

    def write() -> AttendanceRecord:
        current = AttendanceRecord.objects.get(pk=record.pk)
        change = RecordChange.objects.create(
            record=current, at=now, by=by, from_status=current.status, to_status=status, note=note or ""
        )
        current.status = status
        if note is not None:
            current.note = note
        AttendanceRecord.objects.filter(pk=current.pk).update(status=current.status, note=current.note)
        # Recounted from the records: the session-row write before this serializes corrections of one session.
        counts = count_statuses(AttendanceRecord.objects.filter(session=session).values_list("status", flat=True))
        AttendanceSession.objects.filter(pk=session.pk).update(**counts_fields(counts))
        send_after_commit(events.record_updated, session=session, record=current, change=change)
        return current

    return _write_session(session, write, running=False)


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
