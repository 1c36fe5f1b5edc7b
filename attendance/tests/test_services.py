"""Session rules: start, mark, finish, stale sessions, and their races."""

import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import close_old_connections
from django.utils import timezone

from attendance import selectors, services
from attendance.models import AttendanceRecord, AttendanceSession, RecordChange
from classes.services import enrollment_remove
from core.errors import ApplicationError, Messages
from tests.factories import make_class, make_student, make_teacher


@pytest.fixture
def klass(db):
    teacher = make_teacher()
    return make_class(teacher=teacher, students=[make_student(name=f"S{i}") for i in range(3)])


def students_of(klass):
    return [enrollment.student for enrollment in klass.enrollments.order_by("student__name")]


def database_refuses_bulk_create(monkeypatch, reason: str) -> None:
    """Make every insert of records (bulk, or a mark's upsert) fail as the database would."""
    from django.db import DatabaseError

    def broken(*args, **kwargs):
        raise DatabaseError(reason)

    monkeypatch.setattr(AttendanceRecord.objects, "bulk_create", broken)
    monkeypatch.setattr(services, "_upsert_record", broken)  # a mark's own upsert on SQL


def two_sessions(klass):
    """A finished session where the first student was present, then a running one with the first two present."""
    s0, s1, _ = students_of(klass)
    earlier = services.session_start(teacher=klass.teacher, klass=klass)
    services.attendance_mark(session=earlier, student_id=str(s0.pk), status="present", by=klass.teacher)
    services.session_finish(session=earlier)
    session = services.session_start(teacher=klass.teacher, klass=klass)
    for student in (s0, s1):
        services.attendance_mark(session=session, student_id=str(student.pk), status="present", by=klass.teacher)
    return earlier, session, s0, s1


def test_second_start_returns_the_running_session_and_keeps_marks(klass):
    first = services.session_start(teacher=klass.teacher, klass=klass)
    student = students_of(klass)[0]
    services.attendance_mark(session=first, student_id=str(student.pk), status="present", by=klass.teacher)
    second = services.session_start(teacher=klass.teacher, klass=klass)
    assert second.pk == first.pk and second.started_at == first.started_at
    assert selectors.student_status(session=second, student=student) == "present"


def test_a_later_mark_replaces_the_earlier_one(klass):
    session = services.session_start(teacher=klass.teacher, klass=klass)
    student = students_of(klass)[0]
    for status in ("present", "absent", "present"):
        services.attendance_mark(session=session, student_id=str(student.pk), status=status, by=klass.teacher)
    assert AttendanceRecord.objects.filter(session=session).count() == 1
    assert selectors.session_summary(session=session) == {
        "present": 1,
        "late": 0,
        "excused": 0,
        "absent": 0,
        "total": 1,
    }


def test_each_write_of_a_session_carries_the_next_version_as_its_seq(klass):
    session = services.session_start(teacher=klass.teacher, klass=klass)
    first, second = students_of(klass)[:2]
    seqs = []
    for student, status in ((first, "present"), (second, "absent"), (first, "absent")):
        record = services.attendance_mark(session=session, student_id=str(student.pk), status=status, by=klass.teacher)
        assert record.seq == session.version
        seqs.append(record.seq)
    assert seqs == [1, 2, 3]
    services.session_finish(session=session)
    assert session.version == 4
    # DONE's absent records carry DONE's version; marked ones keep the mark's.
    rows = dict(AttendanceRecord.objects.filter(session=session).values_list("student_id", "seq"))
    assert rows == {first.pk: 3, second.pk: 2, students_of(klass)[2].pk: 4}


def test_a_mark_is_one_conditional_update_and_one_upsert(klass, django_assert_num_queries):
    session = services.session_start(teacher=klass.teacher, klass=klass)
    student = students_of(klass)[0]
    for status in ("present", "absent"):  # a first mark inserts, a second updates: two statements each
        # ... plus the transaction's framing: inside the test's transaction, a savepoint and its release.
        with django_assert_num_queries(4):
            services.attendance_mark(session=session, student_id=str(student.pk), status=status, by=klass.teacher)
    assert selectors.student_status(session=session, student=student) == "absent"


def test_a_refused_mark_spends_no_version(klass):
    session = services.session_start(teacher=klass.teacher, klass=klass)
    outsider = make_student(name="Outsider")
    for student_id, message in (
        (str(outsider.pk), Messages.WS_STUDENT_NOT_ENROLLED),
        ("someid", Messages.WS_STUDENT_NOT_ENROLLED),
    ):
        with pytest.raises(ApplicationError) as error:
            services.attendance_mark(session=session, student_id=student_id, status="present", by=klass.teacher)
        assert error.value.message == message
    assert AttendanceSession.objects.get(pk=session.pk).version == 0
    assert not AttendanceRecord.objects.filter(session=session).exists()


def test_finish_writes_one_record_per_enrolled_student_with_who_and_when(klass):
    session = services.session_start(teacher=klass.teacher, klass=klass)
    s0, s1, s2 = students_of(klass)
    services.attendance_mark(session=session, student_id=str(s0.pk), status="present", by=klass.teacher)
    services.attendance_mark(session=session, student_id=str(s1.pk), status="absent", by=klass.teacher)
    summary = services.session_finish(session=session)
    assert summary == {"present": 1, "late": 0, "excused": 0, "absent": 2, "total": 3}
    session.refresh_from_db()
    assert not session.is_active and session.ended_at is not None
    assert (session.present_count, session.absent_count, session.total_count) == (1, 2, 3)
    records = {r.student_id: r for r in AttendanceRecord.objects.filter(session=session)}
    assert records[s0.pk].status == "present" and records[s0.pk].marked_by == klass.teacher
    assert records[s2.pk].status == "absent" and records[s2.pk].marked_by is None
    assert records[s2.pk].marked_at == session.ended_at
    assert selectors.my_attendance(klass=klass, student=s0) == "present"
    assert selectors.my_attendance(klass=klass, student=s2) == "absent"


def test_second_finish_is_refused_and_writes_nothing(klass):
    session = services.session_start(teacher=klass.teacher, klass=klass)
    services.session_finish(session=session)
    with pytest.raises(ApplicationError) as error:
        services.session_finish(session=session)
    assert (error.value.message, error.value.status) == (Messages.WS_NO_SESSION, 404)
    assert AttendanceRecord.objects.filter(session=session).count() == 3


def test_student_removed_mid_session_is_not_in_the_result(klass):
    session = services.session_start(teacher=klass.teacher, klass=klass)
    s0, _, _ = students_of(klass)
    services.attendance_mark(session=session, student_id=str(s0.pk), status="present", by=klass.teacher)
    enrollment_remove(klass=klass, student=s0)
    summary = services.session_finish(session=session)
    assert summary == {"present": 0, "late": 0, "excused": 0, "absent": 2, "total": 2}
    assert not AttendanceRecord.objects.filter(session=session, student=s0).exists()


def test_my_attendance_reads_the_latest_ended_session(klass):
    student = students_of(klass)[0]
    assert selectors.my_attendance(klass=klass, student=student) is None
    first = services.session_start(teacher=klass.teacher, klass=klass)
    services.attendance_mark(session=first, student_id=str(student.pk), status="present", by=klass.teacher)
    assert selectors.my_attendance(klass=klass, student=student) is None  # still running
    services.session_finish(session=first)
    second = services.session_start(teacher=klass.teacher, klass=klass)
    assert selectors.my_attendance(klass=klass, student=student) == "present"
    services.session_finish(session=second)
    assert selectors.my_attendance(klass=klass, student=student) == "absent"


def test_stale_sessions_are_finished_by_the_command_and_before_a_new_start(klass, settings):
    settings.SESSION_MAX_HOURS = 12
    session = services.session_start(teacher=klass.teacher, klass=klass)
    student = students_of(klass)[0]
    services.attendance_mark(session=session, student_id=str(student.pk), status="present", by=klass.teacher)
    AttendanceSession.objects.filter(pk=session.pk).update(started_at=timezone.now() - timedelta(hours=13))
    fresh_class = make_class(teacher=klass.teacher, students=[student], name="Fresh")
    fresh = services.session_start(teacher=klass.teacher, klass=fresh_class)

    call_command("finish_stale_sessions")
    session.refresh_from_db()
    fresh.refresh_from_db()
    assert not session.is_active and session.finished_automatically
    assert (session.present_count, session.total_count) == (1, 3)
    assert fresh.is_active

    old = services.session_start(teacher=fresh_class.teacher, klass=fresh_class)
    AttendanceSession.objects.filter(pk=old.pk).update(started_at=timezone.now() - timedelta(hours=13))
    new = services.session_start(teacher=fresh_class.teacher, klass=fresh_class)
    assert new.pk != old.pk
    old.refresh_from_db()
    assert not old.is_active and old.total_count == 1


def _race(*calls):
    """Run callables at the same moment in threads; return their results or exceptions."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        try:
            results[index] = call()
        except Exception as exc:
            results[index] = exc
        finally:
            close_old_connections()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_dones_at_once_persist_once():
    teacher = make_teacher()
    klass = make_class(teacher=teacher, students=[make_student() for _ in range(20)])
    session = services.session_start(teacher=teacher, klass=klass)
    results = _race(*(lambda: services.session_finish(session=session) for _ in range(4)))
    summaries = [r for r in results if isinstance(r, dict)]
    errors = [r for r in results if isinstance(r, ApplicationError)]
    assert len(summaries) == 1 and len(errors) == 3, results
    assert all(e.message == Messages.WS_NO_SESSION for e in errors)
    assert AttendanceRecord.objects.filter(session=session).count() == 20


def test_a_start_that_loses_the_race_to_another_returns_the_session_that_won(klass, monkeypatch):
    # Another start commits between this one's lookup and its insert: the insert hits the
    # one-running-session-per-class constraint, and the winner's session is the answer.
    won = services.session_start(teacher=klass.teacher, klass=klass)
    lookups = []
    real = services.session_active

    def too_early(*, klass):
        lookups.append(klass.pk)
        return None if len(lookups) == 1 else real(klass=klass)

    monkeypatch.setattr(services, "session_active", too_early)
    assert services.session_start(teacher=klass.teacher, klass=klass) == won
    assert len(lookups) == 2
    assert AttendanceSession.objects.filter(klass=klass).count() == 1


def test_the_record_a_mark_returns_is_the_stored_row(klass):
    session = services.session_start(teacher=klass.teacher, klass=klass)
    student = students_of(klass)[0]
    for status in ("present", "late"):  # an insert, then an update of the same row
        record = services.attendance_mark(session=session, student_id=str(student.pk), status=status, by=klass.teacher)
        stored = AttendanceRecord.objects.get(session=session, student=student)
        assert (record.pk, record.status, record.seq) == (stored.pk, stored.status, stored.seq)
        record.full_clean()  # known as stored: its own row is no duplicate of it


@pytest.mark.django_db(transaction=True)
def test_two_starts_at_once_make_one_session():
    teacher = make_teacher()
    klass = make_class(teacher=teacher)
    results = _race(*(lambda: services.session_start(teacher=teacher, klass=klass) for _ in range(4)))
    assert all(isinstance(r, AttendanceSession) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert AttendanceSession.objects.filter(klass=klass).count() == 1


@pytest.mark.django_db(transaction=True)
def test_marks_racing_done_are_either_persisted_or_refused():
    teacher = make_teacher()
    students = [make_student() for _ in range(12)]
    klass = make_class(teacher=teacher, students=students)
    session = services.session_start(teacher=teacher, klass=klass)

    def mark(student):
        return lambda: services.attendance_mark(
            session=session, student_id=str(student.pk), status="present", by=teacher
        )

    results = _race(*(mark(s) for s in students), lambda: services.session_finish(session=session))
    persisted = dict(AttendanceRecord.objects.filter(session=session).values_list("student_id", "status"))
    assert len(persisted) == 12
    summary = results[-1]
    assert isinstance(summary, dict), summary
    for student, result in zip(students, results[:-1], strict=True):
        if isinstance(result, AttendanceRecord):
            assert persisted[student.pk] == "present", "a mark that was acknowledged was lost"
        else:
            assert isinstance(result, ApplicationError) and result.message == Messages.WS_NO_SESSION, result
            assert persisted[student.pk] == "absent"
    assert summary["present"] == sum(1 for r in results[:-1] if isinstance(r, AttendanceRecord))


def test_a_mark_the_database_refuses_is_reported_not_lost_silently(klass, monkeypatch):
    session = services.session_start(teacher=klass.teacher, klass=klass)
    student = students_of(klass)[0]
    database_refuses_bulk_create(monkeypatch, "database is locked")
    with pytest.raises(ApplicationError) as error:
        services.attendance_mark(session=session, student_id=str(student.pk), status="present", by=klass.teacher)
    assert (error.value.message, error.value.status) == (Messages.WS_MARK_FAILED, 503)
    assert selectors.student_status(session=session, student=student) == "not yet updated"
    # The session's version went back with the rest: no `seq` was spent on a mark nobody saw.
    assert AttendanceSession.objects.get(pk=session.pk).version == 0


def _overdue(session, hours=13):
    AttendanceSession.objects.filter(pk=session.pk).update(started_at=timezone.now() - timedelta(hours=hours))


def test_the_sweep_alone_finishes_every_overdue_session_and_counts_them(klass, settings):
    settings.SESSION_MAX_HOURS = 12
    other = make_class(teacher=klass.teacher, students=[make_student(name="Other")], name="Other")
    recent = make_class(teacher=klass.teacher, students=[make_student(name="Recent")], name="Recent")
    overdue = [services.session_start(teacher=klass.teacher, klass=k) for k in (klass, other)]
    running = services.session_start(teacher=klass.teacher, klass=recent)
    for session in overdue:
        _overdue(session)

    assert services.session_finish_stale() == 2

    for session in overdue:
        session.refresh_from_db()
        assert not session.is_active and session.finished_automatically
    running.refresh_from_db()
    assert running.is_active
    assert services.session_finish_stale() == 0


def test_the_command_reports_how_many_sessions_it_finished(klass, settings):
    from io import StringIO

    settings.SESSION_MAX_HOURS = 12
    _overdue(services.session_start(teacher=klass.teacher, klass=klass))
    out = StringIO()
    call_command("finish_stale_sessions", stdout=out)
    assert out.getvalue().startswith("Finished 1 session(s)")


def test_one_session_that_cannot_be_finished_does_not_stop_the_sweep(klass, settings, monkeypatch):
    settings.SESSION_MAX_HOURS = 12
    classes = [klass] + [
        make_class(teacher=klass.teacher, students=[make_student(name=f"O{i}")], name=f"O{i}") for i in range(2)
    ]
    sessions = [services.session_start(teacher=klass.teacher, klass=k) for k in classes]
    for session in sessions:
        _overdue(session)
    real_finish = services.session_finish
    refused = []

    def finish(*, session, **kwargs):
        if not refused:  # the first one the sweep tries cannot be written
            refused.append(session.pk)
            raise ApplicationError(Messages.WS_PERSIST_FAILED, 503)
        return real_finish(session=session, **kwargs)

    monkeypatch.setattr(services, "session_finish", finish)

    assert services.session_finish_stale() == 2
    still_running = AttendanceSession.objects.filter(is_active=True).values_list("pk", flat=True)
    assert list(still_running) == refused, "the next run retries it"


def test_a_start_succeeds_when_the_overdue_session_was_finished_by_its_teacher_meanwhile(klass, settings, monkeypatch):
    settings.SESSION_MAX_HOURS = 12
    old = services.session_start(teacher=klass.teacher, klass=klass)
    _overdue(old)
    real_finish = services.session_finish

    def finish_after_the_teachers_done(*, session, **kwargs):
        real_finish(session=session)  # the teacher's DONE lands first
        return real_finish(session=session, **kwargs)

    monkeypatch.setattr(services, "session_finish", finish_after_the_teachers_done)

    new = services.session_start(teacher=klass.teacher, klass=klass)

    assert new.pk != old.pk and new.is_active
    old.refresh_from_db()
    assert not old.is_active and not old.finished_automatically


def test_starting_one_class_leaves_another_class_overdue_session_alone(klass, settings):
    settings.SESSION_MAX_HOURS = 12
    other = make_class(teacher=make_teacher(), students=[make_student(name="Other")], name="Other")
    elsewhere = services.session_start(teacher=other.teacher, klass=other)
    _overdue(elsewhere)

    services.session_start(teacher=klass.teacher, klass=klass)

    elsewhere.refresh_from_db()
    assert elsewhere.is_active and elsewhere.ended_at is None


def test_today_summary_counts_each_status_and_totals_them(db):
    students = [make_student(name=f"S{i}") for i in range(5)]
    klass = make_class(teacher=make_teacher(), students=students)
    session = services.session_start(teacher=klass.teacher, klass=klass)
    assert selectors.session_summary(session=session) == {
        "present": 0,
        "late": 0,
        "excused": 0,
        "absent": 0,
        "total": 0,
    }
    for student, status in zip(students, ("present", "present", "absent", "present"), strict=False):
        services.attendance_mark(session=session, student_id=str(student.pk), status=status, by=klass.teacher)

    assert selectors.session_summary(session=session) == {
        "present": 3,
        "late": 0,
        "excused": 0,
        "absent": 1,
        "total": 4,
    }


def test_a_mark_whose_write_fails_after_the_session_row_update_leaves_nothing(klass, monkeypatch):
    from django.db import DatabaseError

    session = services.session_start(teacher=klass.teacher, klass=klass)
    student = students_of(klass)[0]
    version = AttendanceSession.objects.get(pk=session.pk).version
    real_write = services._upsert_record

    def written_then_lost(*args, **kwargs):
        real_write(*args, **kwargs)  # the record row is written, then the connection drops
        raise DatabaseError("connection lost")

    monkeypatch.setattr(services, "_upsert_record", written_then_lost)
    with pytest.raises(ApplicationError) as error:
        services.attendance_mark(session=session, student_id=str(student.pk), status="present", by=klass.teacher)
    monkeypatch.undo()

    assert error.value.message == Messages.WS_MARK_FAILED
    assert selectors.student_status(session=session, student=student) == "not yet updated"
    assert AttendanceSession.objects.get(pk=session.pk).version == version
    assert services.session_finish(session=session) == {"present": 0, "late": 0, "excused": 0, "absent": 3, "total": 3}


def test_a_students_status_is_their_own_in_this_session(klass):
    s0, s1, _ = students_of(klass)
    earlier = services.session_start(teacher=klass.teacher, klass=klass)
    services.attendance_mark(session=earlier, student_id=str(s0.pk), status="present", by=klass.teacher)
    services.session_finish(session=earlier)
    session = services.session_start(teacher=klass.teacher, klass=klass)
    services.attendance_mark(session=session, student_id=str(s1.pk), status="absent", by=klass.teacher)

    assert selectors.student_status(session=session, student=s0) == "not yet updated"
    assert selectors.student_status(session=session, student=s1) == "absent"


def test_iso_millis_is_utc_with_milliseconds_and_z():
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    moment = datetime(2026, 3, 4, 7, 8, 9, 678901, tzinfo=ZoneInfo("Europe/Paris"))
    assert selectors.iso_millis(moment) == "2026-03-04T06:08:09.678Z"
    assert selectors.iso_millis(datetime(2026, 12, 31, 23, 59, 59, 999, tzinfo=UTC)) == "2026-12-31T23:59:59.000Z"


@pytest.mark.parametrize("status", ["tardy", "PRESENT", "", 1, None])
def test_a_mark_with_an_unknown_status_is_refused(klass, status):
    session = services.session_start(teacher=klass.teacher, klass=klass)
    student = students_of(klass)[0]
    with pytest.raises(ApplicationError) as error:
        services.attendance_mark(session=session, student_id=str(student.pk), status=status, by=klass.teacher)
    assert (error.value.message, error.value.status) == (Messages.WS_INVALID_STATUS, 400)
    assert not AttendanceRecord.objects.exists()


def test_a_mark_for_a_student_of_another_class_is_refused(klass):
    outsider = make_student(name="Outsider")
    make_class(teacher=klass.teacher, students=[outsider], name="Elsewhere")
    session = services.session_start(teacher=klass.teacher, klass=klass)
    for student_id in (str(outsider.pk), "987654321", "nonsense"):
        with pytest.raises(ApplicationError) as error:
            services.attendance_mark(session=session, student_id=student_id, status="present", by=klass.teacher)
        assert (error.value.message, error.value.status) == (Messages.WS_STUDENT_NOT_ENROLLED, 404)
    assert not AttendanceRecord.objects.exists()


def test_a_mark_in_a_finished_session_is_refused_while_another_class_runs(klass):
    session = services.session_start(teacher=klass.teacher, klass=klass)
    services.session_finish(session=session)
    other = make_class(teacher=klass.teacher, students=[make_student(name="Other")], name="Other")
    services.session_start(teacher=klass.teacher, klass=other)
    student = students_of(klass)[0]
    with pytest.raises(ApplicationError) as error:
        services.attendance_mark(session=session, student_id=str(student.pk), status="present", by=klass.teacher)
    assert (error.value.message, error.value.status) == (Messages.WS_NO_SESSION, 404)
    assert AttendanceRecord.objects.get(session=session, student=student).status == "absent"


def test_my_attendance_is_this_class_and_none_for_a_student_without_a_record(klass):
    s0 = students_of(klass)[0]
    other = make_class(teacher=klass.teacher, students=[s0], name="Other")
    mine = services.session_start(teacher=klass.teacher, klass=klass)
    services.attendance_mark(session=mine, student_id=str(s0.pk), status="present", by=klass.teacher)
    services.session_finish(session=mine)
    services.session_finish(session=services.session_start(teacher=klass.teacher, klass=other))

    assert selectors.my_attendance(klass=klass, student=s0) == "present"
    assert selectors.my_attendance(klass=other, student=s0) == "absent"
    assert selectors.my_attendance(klass=klass, student=make_student(name="Newcomer")) is None


def test_a_student_removed_mid_session_keeps_earlier_records_and_the_others_keep_their_marks(klass):
    earlier, session, s0, s1 = two_sessions(klass)
    enrollment_remove(klass=klass, student=s0)

    summary = services.session_finish(session=session)

    assert summary == {"present": 1, "late": 0, "excused": 0, "absent": 1, "total": 2}
    assert not session.is_active and session.ended_at is not None
    assert AttendanceRecord.objects.get(session=earlier, student=s0).status == "present"
    assert AttendanceRecord.objects.get(session=session, student=s1).status == "present"


def test_a_finish_the_database_refuses_is_reported_and_leaves_the_session_running(klass, monkeypatch):
    session = services.session_start(teacher=klass.teacher, klass=klass)
    database_refuses_bulk_create(monkeypatch, "disk full")
    with pytest.raises(ApplicationError) as error:
        services.session_finish(session=session)

    assert (error.value.message, error.value.status) == (Messages.WS_PERSIST_FAILED, 503)
    assert selectors.session_active(klass=klass).pk == session.pk


def test_sessions_carry_millisecond_times_and_the_sweep_ends_them_at_its_own_time(klass, settings):
    settings.SESSION_MAX_HOURS = 12
    session = services.session_start(teacher=klass.teacher, klass=klass)
    assert session.started_at.microsecond % 1000 == 0
    assert abs(session.started_at - timezone.now()) < timedelta(seconds=5)
    sweep_time = (timezone.now() + timedelta(hours=13)).replace(microsecond=123000)

    assert services.session_finish_stale(now=sweep_time) == 1

    session.refresh_from_db()
    assert session.ended_at == sweep_time


# Statuses: present, late, excused, absent ------------------------------------------------------


def test_late_and_excused_are_recorded_and_counted_apart(klass):
    session = services.session_start(teacher=klass.teacher, klass=klass)
    s0, s1, s2 = students_of(klass)
    for student, status in ((s0, "late"), (s1, "excused"), (s2, "present")):
        services.attendance_mark(session=session, student_id=str(student.pk), status=status, by=klass.teacher)

    assert selectors.session_summary(session=session) == {
        "present": 1,
        "late": 1,
        "excused": 1,
        "absent": 0,
        "total": 3,
    }
    assert selectors.student_status(session=session, student=s0) == "late"
    assert selectors.student_status(session=session, student=s1) == "excused"


def test_finish_counts_each_status_and_stores_the_counts(klass):
    session = services.session_start(teacher=klass.teacher, klass=klass)
    s0, s1, _ = students_of(klass)
    services.attendance_mark(session=session, student_id=str(s0.pk), status="late", by=klass.teacher)
    services.attendance_mark(session=session, student_id=str(s1.pk), status="excused", by=klass.teacher)

    summary = services.session_finish(session=session)

    assert summary == {"present": 0, "late": 1, "excused": 1, "absent": 1, "total": 3}
    session.refresh_from_db()
    assert selectors.session_counts(session) == {"present": 0, "late": 1, "excused": 1, "absent": 1, "total": 3}
    assert selectors.my_attendance(klass=klass, student=s0) == "late"
    assert selectors.my_attendance(klass=klass, student=s1) == "excused"


# Corrections of a finished session ---------------------------------------------------------------


def test_a_correction_recounts_the_session_and_logs_who_when_and_why(klass):
    session = services.session_start(teacher=klass.teacher, klass=klass)
    s0, s1, _ = students_of(klass)
    services.attendance_mark(session=session, student_id=str(s0.pk), status="present", by=klass.teacher)
    services.session_finish(session=session)

    record = services.record_correct(
        session=session, student_id=str(s1.pk), status="late", note="Arrived after Finish", by=klass.teacher
    )

    session.refresh_from_db()
    assert selectors.session_counts(session) == {"present": 1, "late": 1, "excused": 0, "absent": 1, "total": 3}
    assert (record.status, record.note) == ("late", "Arrived after Finish")
    [change] = RecordChange.objects.filter(record=record)
    assert (change.from_status, change.to_status, change.by, change.note) == (
        "absent",
        "late",
        klass.teacher,
        "Arrived after Finish",
    )
    assert change.at >= session.ended_at
    assert selectors.my_attendance(klass=klass, student=s1) == "late"


def test_record_set_on_a_session_finished_meanwhile_is_a_correction(klass):
    session = services.session_start(teacher=klass.teacher, klass=klass)
    stale = AttendanceSession.objects.get(pk=session.pk)  # still says running
    s0 = students_of(klass)[0]
    services.session_finish(session=session)

    record = services.record_set(session=stale, student_id=str(s0.pk), status="excused", by=klass.teacher)

    assert record.status == "excused"
    change = RecordChange.objects.get(record=record)
    assert (change.from_status, change.by) == ("absent", klass.teacher)
    assert AttendanceSession.objects.get(pk=session.pk).excused_count == 1


def test_a_correction_of_a_running_session_is_refused(klass):
    session = services.session_start(teacher=klass.teacher, klass=klass)
    s0 = students_of(klass)[0]
    services.attendance_mark(session=session, student_id=str(s0.pk), status="present", by=klass.teacher)

    with pytest.raises(ApplicationError) as error:
        services.record_correct(session=session, student_id=str(s0.pk), status="absent", by=klass.teacher)

    assert (error.value.message, error.value.status) == (Messages.WS_NO_SESSION, 404)
    assert selectors.student_status(session=session, student=s0) == "present"
    assert not RecordChange.objects.exists()


def test_a_mark_can_carry_a_note_and_a_later_mark_without_one_keeps_it(klass):
    session = services.session_start(teacher=klass.teacher, klass=klass)
    s0 = students_of(klass)[0]
    services.attendance_mark(session=session, student_id=str(s0.pk), status="excused", note="Sick", by=klass.teacher)
    services.attendance_mark(session=session, student_id=str(s0.pk), status="late", by=klass.teacher)

    record = AttendanceRecord.objects.get(session=session, student=s0)
    assert (record.status, record.note) == ("late", "Sick")
    with pytest.raises(ApplicationError) as error:
        services.attendance_mark(
            session=session, student_id=str(s0.pk), status="late", note="x" * 501, by=klass.teacher
        )
    assert error.value.message == Messages.NOTE_TOO_LONG
    assert AttendanceRecord.objects.get(session=session, student=s0).note == "Sick"
    services.attendance_mark(session=session, student_id=str(s0.pk), status="late", note="Bus", by=klass.teacher)
    assert AttendanceRecord.objects.get(session=session, student=s0).note == "Bus"


# Mark the rest, and undo --------------------------------------------------------------------------


def test_mark_rest_marks_the_unmarked_only_and_unmark_undoes_exactly_that(klass):
    session = services.session_start(teacher=klass.teacher, klass=klass)
    s0, s1, s2 = students_of(klass)
    services.attendance_mark(session=session, student_id=str(s0.pk), status="absent", by=klass.teacher)

    records = services.attendance_mark_rest(session=session, by=klass.teacher)

    assert sorted(r.student_id for r in records) == sorted([s1.pk, s2.pk])
    assert selectors.session_summary(session=session) == {
        "present": 2,
        "late": 0,
        "excused": 0,
        "absent": 1,
        "total": 3,
    }
    assert services.attendance_mark_rest(session=session, by=klass.teacher) == []
    services.attendance_mark(session=session, student_id=str(s2.pk), status="late", by=klass.teacher)

    removed = services.attendance_unmark(session=session, student_ids=[str(s1.pk), str(s2.pk), "someid"])

    assert removed == [str(s1.pk)]
    assert selectors.student_status(session=session, student=s1) == "not yet updated"
    assert selectors.student_status(session=session, student=s2) == "late"
    assert selectors.student_status(session=session, student=s0) == "absent"


def test_mark_rest_and_unmark_need_a_running_session(klass):
    session = services.session_start(teacher=klass.teacher, klass=klass)
    services.session_finish(session=session)

    for call in (
        lambda: services.attendance_mark_rest(session=session, by=klass.teacher),
        lambda: services.attendance_unmark(session=session, student_ids=[]),
    ):
        with pytest.raises(ApplicationError) as error:
            call()
        assert error.value.message == Messages.WS_NO_SESSION
    assert set(AttendanceRecord.objects.filter(session=session).values_list("status", flat=True)) == {"absent"}


# The ORM mark path (MongoDB's), run here on SQLite ------------------------------------------------


def no_update_returning(execute, sql, params, many, context):
    """Refuse UPDATE ... RETURNING, as a backend without it (MongoDB) would."""
    if sql.startswith("UPDATE") and "RETURNING" in sql:
        from django.db import DatabaseError

        raise DatabaseError("UPDATE ... RETURNING is not supported")
    return execute(sql, params, many, context)


def test_the_orm_mark_path_keeps_the_rules_of_the_sql_one(klass, monkeypatch):
    from django.db import connection

    monkeypatch.setattr(services, "SQL_VENDORS", set())
    with connection.execute_wrapper(no_update_returning):
        orm_marks(klass)


def orm_marks(klass):
    earlier = services.session_start(teacher=klass.teacher, klass=klass)
    s0, s1, _ = students_of(klass)
    services.attendance_mark(session=earlier, student_id=str(s0.pk), status="absent", by=klass.teacher)
    services.session_finish(session=earlier)
    session = services.session_start(teacher=klass.teacher, klass=klass)
    other_class = make_class(teacher=klass.teacher, students=[make_student(name="Other")], name="Other")
    elsewhere = services.session_start(teacher=klass.teacher, klass=other_class)

    def mark(student_id, status, **note):
        return services.attendance_mark(session=session, student_id=student_id, status=status, by=klass.teacher, **note)

    first = mark(str(s0.pk), "excused", note="Bus")
    second = mark(str(s0.pk), "late")
    other = mark(str(s1.pk), "present", note="")

    assert (first.seq, second.seq, other.seq) == (1, 2, 3) and session.version == 3
    rows = AttendanceRecord.objects.filter(session=session).order_by("student__name")
    assert [(r.student_id, r.status, r.note, r.seq, r.marked_by_id) for r in rows] == [
        (s0.pk, "late", "Bus", 2, klass.teacher.pk),
        (s1.pk, "present", "", 3, klass.teacher.pk),
    ]
    assert rows[0].marked_at == second.marked_at
    mark(str(s0.pk), "present", note="")
    assert AttendanceRecord.objects.get(session=session, student=s0).note == ""

    outsider = make_student(name="Outsider")
    make_class(teacher=klass.teacher, students=[outsider], name="Elsewhere")
    with pytest.raises(ApplicationError) as error:
        mark(str(outsider.pk), "present")
    assert (error.value.message, error.value.status) == (Messages.WS_STUDENT_NOT_ENROLLED, 404)
    services.session_finish(session=session)
    with pytest.raises(ApplicationError) as error:
        mark(str(s1.pk), "absent")
    assert (error.value.message, error.value.status) == (Messages.WS_NO_SESSION, 404)
    assert AttendanceSession.objects.get(pk=session.pk).version == 5
    assert AttendanceSession.objects.get(pk=elsewhere.pk).version == 0
    assert AttendanceRecord.objects.get(session=earlier, student=s0).status == "absent"
    assert not AttendanceRecord.objects.filter(student=outsider).exists()
    assert AttendanceRecord.objects.get(session=session, student=s1).status == "present"


def test_mark_rest_records_who_marked_and_the_version_of_its_write(klass):
    session = services.session_start(teacher=klass.teacher, klass=klass)
    s0, s1, s2 = students_of(klass)
    services.attendance_mark(session=session, student_id=str(s0.pk), status="absent", by=klass.teacher)
    # Another session's writes are its own: they move neither this session's version nor its seqs.
    other = make_class(teacher=klass.teacher, students=[make_student(name="Other")], name="Other")
    elsewhere = services.session_start(teacher=klass.teacher, klass=other)

    records = services.attendance_mark_rest(session=session, by=klass.teacher, status="excused")

    assert session.version == 2
    stored = AttendanceRecord.objects.filter(session=session, student__in=[s1, s2])
    assert {(r.student_id, r.status, r.marked_by_id, r.seq) for r in stored} == {
        (s1.pk, "excused", klass.teacher.pk, 2),
        (s2.pk, "excused", klass.teacher.pk, 2),
    }
    assert {(r.seq, r.marked_by_id) for r in records} == {(2, klass.teacher.pk)}
    assert AttendanceSession.objects.get(pk=elsewhere.pk).version == 0

    services.attendance_unmark(session=session, student_ids=[str(s1.pk)], status="excused")
    assert session.version == 3 == AttendanceSession.objects.get(pk=session.pk).version


def test_unmark_touches_only_the_named_students_of_this_session(klass):
    earlier, session, s0, s1 = two_sessions(klass)

    assert services.attendance_unmark(session=session, student_ids=[str(s0.pk)]) == [str(s0.pk)]

    assert selectors.student_status(session=session, student=s0) == "not yet updated"
    assert selectors.student_status(session=session, student=s1) == "present"
    assert AttendanceRecord.objects.get(session=earlier, student=s0).status == "present"


def test_mark_rest_the_database_refuses_is_reported_and_writes_nothing(klass, monkeypatch):
    session = services.session_start(teacher=klass.teacher, klass=klass)
    database_refuses_bulk_create(monkeypatch, "database is locked")
    with pytest.raises(ApplicationError) as error:
        services.attendance_mark_rest(session=session, by=klass.teacher)
    monkeypatch.undo()

    assert (error.value.message, error.value.status) == (Messages.WS_MARK_FAILED, 503)
    assert not AttendanceRecord.objects.filter(session=session).exists()
    assert AttendanceSession.objects.get(pk=session.pk).version == 0


def test_a_correction_is_of_this_sessions_record_only(klass):
    s0 = students_of(klass)[0]
    earlier = services.session_start(teacher=klass.teacher, klass=klass)
    services.attendance_mark(session=earlier, student_id=str(s0.pk), status="present", by=klass.teacher)
    services.session_finish(session=earlier)
    enrollment_remove(klass=klass, student=s0)
    session = services.session_start(teacher=klass.teacher, klass=klass)
    services.session_finish(session=session)

    with pytest.raises(ApplicationError) as error:
        services.record_correct(session=session, student_id=str(s0.pk), status="late", by=klass.teacher)

    assert (error.value.message, error.value.status) == (Messages.RECORD_NOT_FOUND, 404)
    assert AttendanceRecord.objects.get(session=earlier, student=s0).status == "present"
    assert not RecordChange.objects.exists()


def test_a_correction_with_a_note_too_long_is_refused_and_changes_nothing(klass):
    s0 = students_of(klass)[0]
    session = services.session_start(teacher=klass.teacher, klass=klass)
    services.session_finish(session=session)

    with pytest.raises(ApplicationError) as error:
        services.record_correct(session=session, student_id=str(s0.pk), status="late", note="x" * 501, by=klass.teacher)

    assert (error.value.message, error.value.status) == (Messages.NOTE_TOO_LONG, 400)
    assert AttendanceRecord.objects.get(session=session, student=s0).status == "absent"
    assert not RecordChange.objects.exists()


def test_a_mark_for_a_student_enrolled_while_it_was_written_is_tried_again_and_kept(klass):
    from django.db import connection

    session = services.session_start(teacher=klass.teacher, klass=klass)
    newcomer = make_student(name="Newcomer")
    enrolled = []

    def enrolled_after_the_first_update(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.startswith("UPDATE") and not enrolled:  # the add commits right after the mark's UPDATE
            enrolled.append(klass.enrollments.create(student=newcomer))
        return result

    with connection.execute_wrapper(enrolled_after_the_first_update):
        record = services.attendance_mark(session=session, student_id=str(newcomer.pk), status="late", by=klass.teacher)

    assert enrolled and (record.status, record.seq) == ("late", 1)
    assert selectors.student_status(session=session, student=newcomer) == "late"


@pytest.fixture
def server_in_new_york(monkeypatch):
    """Run with the process's local time zone five hours behind UTC."""
    import time

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_iso_millis_is_utc_whatever_the_servers_zone_and_truncates_to_the_millisecond(server_in_new_york):
    from datetime import UTC, datetime

    moment = datetime(2026, 1, 15, 12, 0, 0, 500_000, tzinfo=UTC)

    assert selectors.iso_millis(moment) == "2026-01-15T12:00:00.500Z"


@pytest.mark.parametrize("note", [5, ["Sick"], {"why": "Sick"}])
def test_a_note_that_is_not_text_is_refused(klass, note):
    session = services.session_start(teacher=klass.teacher, klass=klass)
    student = students_of(klass)[0]

    with pytest.raises(ApplicationError) as error:
        services.attendance_mark(
            session=session, student_id=str(student.pk), status="late", note=note, by=klass.teacher
        )

    assert (error.value.message, error.value.status) == (Messages.INVALID_SCHEMA, 400)
    assert not AttendanceRecord.objects.filter(session=session).exists()


def test_a_mark_overtaken_on_every_try_gives_up_as_no_session_and_writes_nothing(klass):
    from django.db import connection

    session = services.session_start(teacher=klass.teacher, klass=klass)
    student = students_of(klass)[0]
    tries = []

    def overtaken(execute, sql, params, many, context):
        if sql.startswith("UPDATE") and "RETURNING" in sql:  # each try loses a race: it touches nothing
            tries.append(sql)
            sql = sql.replace(" RETURNING ", " AND 0 = 1 RETURNING ")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(overtaken), pytest.raises(ApplicationError) as error:
        services.attendance_mark(session=session, student_id=str(student.pk), status="late", by=klass.teacher)

    assert (error.value.message, error.value.status) == (Messages.WS_NO_SESSION, 404)
    assert selectors.student_status(session=session, student=student) == "not yet updated"
