"""The services and selectors on a real MongoDB replica set: ObjectId keys, indexes, transactions."""

import json
from datetime import timedelta

import pytest
from bson import ObjectId
from django.db import DatabaseError, IntegrityError
from django.utils import timezone

from accounts.models import Role, User
from accounts.services import user_signup
from attendance import selectors, services, snapshots
from attendance.models import AttendanceRecord, AttendanceSession, Status
from classes import selectors as class_selectors
from classes.models import Enrollment
from classes.serializers import class_data, class_detail_data
from classes.services import class_create, enrollment_add
from core.errors import ApplicationError, Messages
from core.transactions import atomic
from tests import factories
from tests.mongo.helpers import UNKNOWN_IDS, is_object_id_string

pytestmark = [pytest.mark.mongodb, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def roll():
    """A teacher's class of three students, with a running session."""
    teacher = factories.make_teacher(name="Ada")
    students = [factories.make_student(name=name) for name in ("Alan", "Grace", "Linus")]
    klass = factories.make_class(teacher=teacher, students=students, name="Maths")
    session = services.session_start(teacher=teacher, klass=klass)
    return teacher, students, klass, session


def mark(session, student, status, teacher):
    return services.attendance_mark(session=session, student_id=str(student.pk), status=status, by=teacher)


# Accounts ------------------------------------------------------------------------------


def test_signup_stores_an_object_id_key():
    user = user_signup(name="Ada", email="Ada@School.test", password="secret-pass", role=Role.TEACHER)
    assert isinstance(user.pk, ObjectId)
    stored = User.objects.get(pk=str(user.pk))
    assert stored.email == "ada@school.test"
    assert stored.check_password("secret-pass")


def test_signup_refuses_an_email_taken_in_any_case():
    user_signup(name="Ada", email="ada@school.test", password="secret-pass", role=Role.TEACHER)
    with pytest.raises(ApplicationError) as raised:
        user_signup(name="Copy", email="ADA@School.TEST", password="secret-pass", role=Role.STUDENT)
    assert (raised.value.message, raised.value.status) == (Messages.EMAIL_EXISTS, 400)
    assert User.objects.count() == 1


def test_the_plain_unique_index_on_the_stored_email_holds_without_the_service():
    # Lower("email") cannot be indexed on MongoDB; the stored email is lower-cased on save,
    # so the plain unique index is what refuses a second account.
    factories.make_student(email="Grace@School.test")
    with pytest.raises(IntegrityError):
        User.objects.create_user(email="GRACE@school.test", password="x" * 8, name="Copy")


# Classes and enrollment ------------------------------------------------------------------


def test_class_create_gives_object_id_strings_at_the_edge():
    teacher = factories.make_teacher()
    klass = class_create(teacher=teacher, class_name="Physics")
    assert isinstance(klass.pk, ObjectId)
    data = class_data(klass)
    assert is_object_id_string(data["_id"])
    assert data == {"_id": str(klass.pk), "className": "Physics", "teacherId": str(teacher.pk), "studentIds": []}
    json.dumps(data)  # what the API renders must hold no ObjectId


def test_enrollment_add_twice_keeps_one_entry():
    teacher, student = factories.make_teacher(), factories.make_student()
    klass = class_create(teacher=teacher, class_name="Physics")
    enrollment_add(klass=klass, student_id=str(student.pk))
    enrollment_add(klass=klass, student_id=str(student.pk))
    assert Enrollment.objects.filter(klass=klass).count() == 1
    assert class_data(klass)["studentIds"] == [str(student.pk)]
    detail = class_detail_data(klass)
    assert detail["students"] == [{"_id": str(student.pk), "name": student.name, "email": student.email}]
    json.dumps(detail)


def test_the_enrollment_unique_index_refuses_a_duplicate():
    student = factories.make_student()
    klass = factories.make_class(students=[student])
    with pytest.raises(IntegrityError):
        Enrollment.objects.create(klass=klass, student=student)


@pytest.mark.parametrize("raw", [*UNKNOWN_IDS, "teacher"])
def test_enrollment_add_of_a_malformed_unknown_or_non_student_id_is_404(raw):
    teacher = factories.make_teacher()
    klass = class_create(teacher=teacher, class_name="Physics")
    with pytest.raises(ApplicationError) as raised:
        enrollment_add(klass=klass, student_id=str(teacher.pk) if raw == "teacher" else raw)
    assert (raised.value.message, raised.value.status) == (Messages.STUDENT_NOT_FOUND, 404)
    assert not Enrollment.objects.exists()


@pytest.mark.parametrize("raw", UNKNOWN_IDS)
def test_class_lookups_of_malformed_or_unknown_ids_are_404(raw):
    factories.make_class()
    with pytest.raises(ApplicationError) as raised:
        class_selectors.class_get(class_id=raw)
    assert (raised.value.message, raised.value.status) == (Messages.CLASS_NOT_FOUND, 404)


def test_classes_of_a_student_and_of_a_teacher():
    teacher, student = factories.make_teacher(), factories.make_student()
    mine = factories.make_class(teacher=teacher, students=[student], name="Mine")
    factories.make_class(name="Not mine")
    assert class_selectors.class_ids_of(user=student) == [mine.pk]
    assert class_selectors.class_ids_of(user=teacher) == [mine.pk]
    assert class_selectors.class_enrolled(class_id=str(mine.pk), student=student) == mine


# Sessions ----------------------------------------------------------------------------


def test_session_start_twice_returns_the_running_session(roll):
    teacher, _, klass, session = roll
    again = services.session_start(teacher=teacher, klass=klass)
    assert again.pk == session.pk
    assert isinstance(session.pk, ObjectId)
    assert AttendanceSession.objects.filter(klass=klass, is_active=True).count() == 1


def test_the_partial_index_allows_one_running_session_per_class(roll):
    teacher, _, klass, _ = roll
    now = timezone.now()
    with pytest.raises(IntegrityError):
        AttendanceSession.objects.create(klass=klass, teacher=teacher, started_at=now, is_active=True)
    # Ended sessions are outside the partial index: any number of them.
    AttendanceSession.objects.create(klass=klass, teacher=teacher, started_at=now, is_active=False, ended_at=now)
    AttendanceSession.objects.create(klass=klass, teacher=teacher, started_at=now, is_active=False, ended_at=now)
    assert AttendanceSession.objects.filter(klass=klass).count() == 3


def test_attendance_mark_writes_through_and_a_later_mark_replaces_it(roll):
    teacher, (alan, *_), _, session = roll
    record = mark(session, alan, Status.PRESENT, teacher)
    assert isinstance(record.pk, ObjectId)
    mark(session, alan, Status.ABSENT, teacher)
    records = AttendanceRecord.objects.filter(session=session)
    assert [(r.student_id, r.status, r.marked_by_id) for r in records] == [(alan.pk, Status.ABSENT, teacher.pk)]
    assert selectors.student_status(session=session, student=alan) == Status.ABSENT
    assert selectors.session_summary(session=session) == {
        "present": 0,
        "late": 0,
        "excused": 0,
        "absent": 1,
        "total": 1,
    }
    assert AttendanceSession.objects.get(pk=session.pk).version == 2


@pytest.mark.parametrize("raw", [*UNKNOWN_IDS, "outsider"])
def test_marking_a_student_who_is_not_on_the_roster_is_404(roll, raw):
    teacher, _, _, session = roll
    student_id = str(factories.make_student().pk) if raw == "outsider" else raw
    with pytest.raises(ApplicationError) as raised:
        services.attendance_mark(session=session, student_id=student_id, status=Status.PRESENT, by=teacher)
    assert (raised.value.message, raised.value.status) == (Messages.WS_STUDENT_NOT_ENROLLED, 404)
    assert not AttendanceRecord.objects.exists()


def test_session_finish_persists_one_record_per_student(roll):
    teacher, (alan, grace, linus), klass, session = roll
    mark(session, alan, Status.PRESENT, teacher)
    mark(session, grace, Status.ABSENT, teacher)

    summary = services.session_finish(session=session)

    assert summary == {"present": 1, "absent": 2, "total": 3}
    statuses = dict(AttendanceRecord.objects.filter(session=session).values_list("student_id", "status"))
    assert statuses == {alan.pk: Status.PRESENT, grace.pk: Status.ABSENT, linus.pk: Status.ABSENT}
    stored = AttendanceSession.objects.get(pk=session.pk)
    assert (stored.is_active, stored.present_count, stored.absent_count, stored.total_count) == (False, 1, 2, 3)
    assert stored.ended_at is not None
    assert selectors.session_active(klass=klass) is None


def test_session_finish_is_idempotent_and_ends_marking(roll):
    teacher, (alan, *_), _, session = roll
    services.session_finish(session=session)
    with pytest.raises(ApplicationError) as again:
        services.session_finish(session=session)
    assert (again.value.message, again.value.status) == (Messages.WS_NO_SESSION, 404)
    with pytest.raises(ApplicationError) as late:
        mark(session, alan, Status.PRESENT, teacher)
    assert late.value.message == Messages.WS_NO_SESSION
    assert AttendanceRecord.objects.filter(session=session).count() == 3


def test_a_failed_finish_rolls_back_in_a_real_transaction(roll, monkeypatch):
    teacher, (alan, *_), _, session = roll
    mark(session, alan, Status.PRESENT, teacher)

    def broken_bulk_create(*args, **kwargs):
        raise DatabaseError("the disk is full")

    monkeypatch.setattr(AttendanceRecord.objects, "bulk_create", broken_bulk_create)
    with pytest.raises(ApplicationError) as raised:
        services.session_finish(session=session)
    assert (raised.value.message, raised.value.status) == (Messages.WS_PERSIST_FAILED, 503)
    # The session update before the failure was rolled back: still running, DONE can be retried.
    stored = AttendanceSession.objects.get(pk=session.pk)
    assert (stored.is_active, stored.ended_at) == (True, None)
    monkeypatch.undo()
    assert services.session_finish(session=session) == {"present": 1, "absent": 2, "total": 3}


def test_atomic_rolls_back_on_mongodb():
    with pytest.raises(RuntimeError), atomic():
        factories.make_teacher(email="gone@school.test")
        raise RuntimeError("boom")
    assert not User.objects.filter(email="gone@school.test").exists()


def test_my_attendance_reads_the_latest_ended_session(roll):
    teacher, (alan, *_), klass, session = roll
    assert selectors.my_attendance(klass=klass, student=alan) is None  # running sessions do not count
    mark(session, alan, Status.PRESENT, teacher)
    services.session_finish(session=session)
    assert selectors.my_attendance(klass=klass, student=alan) == Status.PRESENT

    second = services.session_start(teacher=teacher, klass=klass)
    assert second.pk != session.pk
    assert selectors.my_attendance(klass=klass, student=alan) == Status.PRESENT
    services.session_finish(session=second)
    assert selectors.my_attendance(klass=klass, student=alan) == Status.ABSENT


def test_stale_sessions_are_finished_automatically(roll):
    _, _, _, session = roll
    AttendanceSession.objects.filter(pk=session.pk).update(started_at=timezone.now() - timedelta(days=2))
    assert services.session_finish_stale() == 1
    stored = AttendanceSession.objects.get(pk=session.pk)
    assert (stored.is_active, stored.finished_automatically, stored.total_count) == (False, True, 3)
    assert services.session_finish_stale() == 0


def test_the_sender_of_an_event_finds_their_session_by_class_id_string(roll):
    teacher, (alan, *_), klass, session = roll
    other = factories.make_class(teacher=teacher, students=[alan], name="Physics")
    other_session = services.session_start(teacher=teacher, klass=other)
    with pytest.raises(ApplicationError) as raised:
        selectors.session_for_sender(user=teacher)
    assert raised.value.message == Messages.WS_CLASS_ID_REQUIRED
    assert selectors.session_for_sender(user=teacher, class_id=str(other.pk)).pk == other_session.pk
    assert selectors.session_for_sender(user=alan, class_id=str(klass.pk)).pk == session.pk
    with pytest.raises(ApplicationError):
        selectors.session_for_sender(user=alan, class_id="someid")


def test_snapshots_carry_only_string_ids(roll):
    teacher, (alan, *_), klass, session = roll
    mark(session, alan, Status.PRESENT, teacher)
    memberships = class_selectors.memberships(user=alan)
    assert memberships == {str(klass.pk): str(teacher.pk)}
    for user in (teacher, alan):
        snapshot = snapshots.snapshot_sync(user=user, class_ids=list(class_selectors.memberships(user=user)))
        json.dumps(snapshot)  # raises on any ObjectId left in it
        assert snapshot["userId"] == str(user.pk)
        assert [entry["classId"] for entry in snapshot["classes"]] == [str(klass.pk)]
    teacher_view = snapshots.snapshot_sync(user=teacher, class_ids=[str(klass.pk)])
    assert teacher_view["classes"][0]["session"]["marks"] == {str(alan.pk): Status.PRESENT}
