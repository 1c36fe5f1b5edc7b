"""Renaming, archiving, restoring and deleting classes, and students leaving them."""

from datetime import timedelta

import pytest

from attendance import services as attendance_services
from attendance.models import AttendanceRecord, AttendanceSession
from classes import events, selectors, services
from classes.models import Class, Enrollment
from core.errors import ApplicationError, Messages
from reports import history
from tests import factories

# Committed for real: the announcements go out after commit.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def klass(teacher, student):
    return factories.make_class(teacher=teacher, students=[student], name="Biology")


@pytest.fixture
def announced():
    """Collect what the classes app announces, by signal name."""
    seen: list[tuple[str, dict]] = []
    receivers = {}
    for name in ("class_renamed", "class_archived", "class_restored", "class_deleted", "student_unenrolled"):

        def receiver(sender=None, signal=None, _name=name, **kwargs):
            seen.append((_name, kwargs))

        receivers[name] = receiver
        getattr(events, name).connect(receiver)
    yield seen
    for name, receiver in receivers.items():
        getattr(events, name).disconnect(receiver)


def _refused(call, status: int, message: str) -> None:
    with pytest.raises(ApplicationError) as raised:
        call()
    assert (raised.value.status, raised.value.message) == (status, message)


# --- rename -------------------------------------------------------------------------------


def test_rename_stores_the_trimmed_name(klass):
    services.class_rename(klass=klass, class_name="  Biology 2  ")

    assert Class.objects.get(pk=klass.pk).class_name == "Biology 2"


def test_rename_announces_the_new_name_to_the_roster(student, klass, announced):
    services.class_rename(klass=klass, class_name="x" * 200)

    assert announced == [("class_renamed", {"klass": klass, "student_ids": [str(student.pk)]})]
    assert announced[0][1]["klass"].class_name == "x" * 200
    assert Class.objects.get(pk=klass.pk).class_name == "x" * 200


def test_rename_writes_the_name_only(klass):
    stale = Class.objects.get(pk=klass.pk)
    services.class_archive(klass=klass)  # meanwhile, from another page

    services.class_rename(klass=stale, class_name="Chemistry")

    assert Class.objects.get(pk=klass.pk).archived


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_rename_to_an_empty_or_too_long_name_is_refused_and_keeps_the_old_one(klass, name):
    _refused(lambda: services.class_rename(klass=klass, class_name=name), 400, Messages.INVALID_SCHEMA)

    assert Class.objects.get(pk=klass.pk).class_name == "Biology"


# --- archive and restore ------------------------------------------------------------------


def test_archive_hides_the_class_from_the_dashboard_and_the_students_classes(teacher, student, klass):
    other = factories.make_class(teacher=teacher, students=[student], name="Chemistry")

    services.class_archive(klass=klass)

    assert Class.objects.get(pk=klass.pk).archived
    assert [row.klass for row in history.dashboard_rows(teacher=teacher)] == [other]
    assert selectors.classes_of_student(student=student) == [other]
    assert selectors.class_ids_of(user=teacher) == [other.pk]
    assert list(selectors.memberships(user=student)) == [str(other.pk)]
    assert selectors.archived_classes(teacher=teacher) == [klass]


def test_archive_keeps_the_roster_and_the_history(teacher, student, klass):
    factories.finished_session(klass, {student: "present"})

    services.class_archive(klass=klass)

    assert selectors.is_enrolled(klass=klass, user=student)
    assert AttendanceRecord.objects.filter(session__klass=klass, student=student, status="present").exists()
    assert [entry.klass for entry in history.student_history(student=student)] == [klass]
    assert len(list(history.class_csv_rows(klass=klass))) == 2  # the header and the one record


def test_restore_brings_the_class_back(teacher, student, klass):
    services.class_archive(klass=klass)

    services.class_restore(klass=klass)

    assert not Class.objects.get(pk=klass.pk).archived
    assert [row.klass for row in history.dashboard_rows(teacher=teacher)] == [klass]
    assert selectors.classes_of_student(student=student) == [klass]


def test_archive_and_restore_announce_the_roster_once_each(student, klass, announced):
    services.class_archive(klass=klass)
    services.class_archive(klass=klass)
    services.class_restore(klass=klass)
    services.class_restore(klass=klass)

    assert announced == [
        ("class_archived", {"klass": klass, "student_ids": [str(student.pk)]}),
        ("class_restored", {"klass": klass, "student_ids": [str(student.pk)]}),
    ]


def test_archive_and_restore_write_the_archive_state_only(klass):
    for change in (services.class_archive, services.class_restore):
        stale = Class.objects.get(pk=klass.pk)
        services.class_rename(klass=klass, class_name=f"Renamed before {change.__name__}")  # meanwhile

        change(klass=stale)

        assert Class.objects.get(pk=klass.pk).class_name == f"Renamed before {change.__name__}"


def test_archive_delete_and_leave_ask_the_receivers_with_the_action_and_the_student(teacher, student, klass):
    asked = []

    def receiver(*, klass, action, student, **kwargs):
        asked.append((klass.pk, action, student))

    events.class_change_requested.connect(receiver)
    try:
        services.enrollment_leave(klass=klass, student=student)
        services.class_archive(klass=klass)
        services.class_delete(klass=Class.objects.get(pk=klass.pk))
    finally:
        events.class_change_requested.disconnect(receiver)

    assert asked == [
        (klass.pk, events.LEAVE, student),
        (klass.pk, events.ARCHIVE, None),
        (klass.pk, events.DELETE, None),
    ]


def test_archive_is_refused_while_a_session_runs(teacher, klass, announced):
    attendance_services.session_start(teacher=teacher, klass=klass)

    _refused(lambda: services.class_archive(klass=klass), 409, Messages.SESSION_RUNNING)

    assert not Class.objects.get(pk=klass.pk).archived
    assert announced == []


def test_archive_finishes_a_forgotten_session_first(teacher, klass, settings):
    session = attendance_services.session_start(teacher=teacher, klass=klass)
    AttendanceSession.objects.filter(pk=session.pk).update(
        started_at=session.started_at - timedelta(hours=settings.SESSION_MAX_HOURS + 1)
    )

    services.class_archive(klass=klass)

    assert Class.objects.get(pk=klass.pk).archived
    assert AttendanceSession.objects.get(pk=session.pk).finished_automatically


def test_an_archived_class_cannot_start_a_session(teacher, klass):
    services.class_archive(klass=klass)

    _refused(lambda: attendance_services.session_start(teacher=teacher, klass=klass), 409, Messages.CLASS_ARCHIVED)

    assert not AttendanceSession.objects.exists()


# --- delete -------------------------------------------------------------------------------


def test_delete_removes_the_class_its_roster_sessions_and_records(teacher, student, klass, announced):
    factories.finished_session(klass, {student: "present"})
    kept = factories.make_class(teacher=teacher, students=[student], name="Kept")
    factories.finished_session(kept, {student: "absent"})
    class_id = str(klass.pk)

    services.class_delete(klass=klass)

    assert list(Class.objects.all()) == [kept]
    assert list(Enrollment.objects.values_list("klass_id", flat=True)) == [kept.pk]
    assert list(AttendanceSession.objects.values_list("klass_id", flat=True)) == [kept.pk]
    assert list(AttendanceRecord.objects.values_list("status", flat=True)) == ["absent"]
    assert announced == [
        ("class_deleted", {"class_id": class_id, "teacher_id": str(teacher.pk), "student_ids": [str(student.pk)]})
    ]


def test_delete_is_refused_while_a_session_runs(teacher, student, klass, announced):
    attendance_services.session_start(teacher=teacher, klass=klass)

    _refused(lambda: services.class_delete(klass=klass), 409, Messages.SESSION_RUNNING)

    assert Class.objects.filter(pk=klass.pk).exists()
    assert selectors.is_enrolled(klass=klass, user=student)
    assert AttendanceSession.objects.filter(klass=klass, is_active=True).exists()
    assert announced == []


def test_an_archived_class_can_be_deleted(klass):
    services.class_archive(klass=klass)

    services.class_delete(klass=klass)

    assert not Class.objects.exists()


# --- leave --------------------------------------------------------------------------------


def test_a_student_leaves_a_class_and_keeps_past_records(student, klass, announced):
    factories.finished_session(klass, {student: "present"})

    services.enrollment_leave(klass=klass, student=student)

    assert not selectors.is_enrolled(klass=klass, user=student)
    assert AttendanceRecord.objects.filter(student=student).count() == 1
    assert [name for name, _ in announced] == ["student_unenrolled"]


def test_leaving_is_refused_while_the_class_session_runs(teacher, student, klass, announced):
    attendance_services.session_start(teacher=teacher, klass=klass)

    _refused(lambda: services.enrollment_leave(klass=klass, student=student), 409, Messages.SESSION_RUNNING)

    assert selectors.is_enrolled(klass=klass, user=student)
    assert announced == []


def test_leaving_is_allowed_while_another_class_runs_a_session(teacher, student, klass):
    other = factories.make_class(teacher=teacher, students=[student], name="Other")
    attendance_services.session_start(teacher=teacher, klass=other)

    services.enrollment_leave(klass=klass, student=student)

    assert selectors.classes_of_student(student=student) == [other]


def test_any_receiver_may_refuse_a_change_and_its_error_reaches_the_caller(klass):
    def refuse(*, klass, action, student, **kwargs):
        raise ApplicationError(f"no {action}", 409)

    events.class_change_requested.connect(refuse)
    try:
        _refused(lambda: services.class_delete(klass=klass), 409, "no delete")
    finally:
        events.class_change_requested.disconnect(refuse)

    assert Class.objects.filter(pk=klass.pk).exists()
