"""Class and roster writes."""

import pytest

from classes import selectors, services
from classes.models import Enrollment
from core.errors import ApplicationError, Messages
from tests import factories

pytestmark = pytest.mark.django_db


def test_class_create_makes_an_empty_class_for_the_teacher(teacher):
    klass = services.class_create(teacher=teacher, class_name="Drama")

    assert klass.teacher == teacher
    assert klass.class_name == "Drama"
    assert selectors.roster_ids(klass=klass) == []


def test_enrollment_add_puts_a_student_on_the_roster_once(teacher, student):
    klass = factories.make_class(teacher=teacher)

    assert services.enrollment_add(klass=klass, student_id=str(student.pk)) == student
    services.enrollment_add(klass=klass, student_id=str(student.pk))

    assert Enrollment.objects.filter(klass=klass, student=student).count() == 1


@pytest.mark.parametrize(
    "student_id", ["someid", "507f1f77bcf86cd799439011", "-1", "99999999999999999999999", None, {}]
)
def test_enrollment_add_unknown_id_is_student_not_found(teacher, student_id):
    klass = factories.make_class(teacher=teacher)

    with pytest.raises(ApplicationError) as raised:
        services.enrollment_add(klass=klass, student_id=student_id)

    assert (raised.value.status, raised.value.message) == (404, Messages.STUDENT_NOT_FOUND)


def test_enrollment_add_refuses_a_teacher(teacher):
    klass = factories.make_class(teacher=teacher)

    with pytest.raises(ApplicationError) as raised:
        services.enrollment_add(klass=klass, student_id=str(factories.make_teacher().pk))

    assert raised.value.message == Messages.STUDENT_NOT_FOUND
    assert not Enrollment.objects.exists()


def test_enrollment_remove_takes_a_student_off_once(teacher, student):
    klass = factories.make_class(teacher=teacher, students=[student])

    assert services.enrollment_remove(klass=klass, student=student) is True
    assert services.enrollment_remove(klass=klass, student=student) is False
    assert not selectors.is_enrolled(klass=klass, user=student)


def test_enrollment_add_racing_another_add_of_the_same_student_keeps_one_entry(teacher, student, monkeypatch):
    klass = factories.make_class(teacher=teacher, students=[student])
    # The other add committed between this add's check and its insert: the check saw nothing.
    monkeypatch.setattr(Enrollment.objects, "filter", lambda **kwargs: Enrollment.objects.none())

    assert services.enrollment_add(klass=klass, student_id=str(student.pk)) == student

    monkeypatch.undo()
    assert Enrollment.objects.filter(klass=klass, student=student).count() == 1


def test_enrollment_add_refuses_a_deactivated_student(teacher):
    klass = factories.make_class(teacher=teacher)

    with pytest.raises(ApplicationError) as raised:
        services.enrollment_add(klass=klass, student_id=str(factories.make_student(is_active=False).pk))

    assert raised.value.message == Messages.STUDENT_NOT_FOUND
    assert not Enrollment.objects.exists()


def test_a_student_joins_a_class_whatever_other_rosters_hold(teacher, student):
    other = factories.make_class(teacher=teacher, students=[student], name="Other")
    klass = factories.make_class(teacher=teacher, students=[factories.make_student()])

    services.enrollment_add(klass=klass, student_id=str(student.pk))

    assert selectors.is_enrolled(klass=klass, user=student)
    assert selectors.is_enrolled(klass=other, user=student)


def test_enrollment_remove_leaves_the_students_other_classes(teacher, student):
    other = factories.make_class(teacher=teacher, students=[student], name="Other")
    klass = factories.make_class(teacher=teacher, students=[student])

    services.enrollment_remove(klass=klass, student=student)

    assert selectors.is_enrolled(klass=other, user=student)


def test_roster_changes_are_announced_with_the_class_and_student_once_committed(
    teacher, student, django_capture_on_commit_callbacks
):
    from classes import events

    announced = []

    def enrolled(sender, *, klass, student, **kwargs):
        announced.append(("enrolled", str(klass.pk), str(student.pk)))

    def unenrolled(sender, *, klass, student, **kwargs):
        announced.append(("unenrolled", str(klass.pk), str(student.pk)))

    events.student_enrolled.connect(enrolled)
    events.student_unenrolled.connect(unenrolled)
    try:
        klass = factories.make_class(teacher=teacher)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            services.enrollment_add(klass=klass, student_id=str(student.pk))
        assert announced == []  # nothing before the commit
        for callback in callbacks:
            callback()
        with django_capture_on_commit_callbacks(execute=True):
            services.enrollment_remove(klass=klass, student=student)
    finally:
        events.student_enrolled.disconnect(enrolled)
        events.student_unenrolled.disconnect(unenrolled)

    expected = (str(klass.pk), str(student.pk))
    assert announced == [("enrolled", *expected), ("unenrolled", *expected)]


def test_a_class_time_zone_must_be_a_zone_name(teacher):
    klass = factories.make_class(teacher=teacher)

    with pytest.raises(ApplicationError) as raised:
        services.class_time_zone_set(klass=klass, time_zone="Mars/Olympus")
    assert (raised.value.status, raised.value.message) == (400, Messages.INVALID_TIME_ZONE)
    services.class_time_zone_set(klass=klass, time_zone="Europe/Paris")

    klass.refresh_from_db()
    assert klass.time_zone == "Europe/Paris"


@pytest.mark.parametrize("code", [None, 12345678, ["ACDEFGHJ"]])
def test_a_join_code_that_is_not_text_is_an_invalid_code(student, code):
    with pytest.raises(ApplicationError) as raised:
        services.join_code_lookup(student=student, code=code, client="10.0.0.1")
    assert (raised.value.status, raised.value.message) == (404, Messages.INVALID_JOIN_CODE)


def test_a_join_code_another_class_holds_is_drawn_again_and_five_clashes_are_an_internal_error(teacher, monkeypatch):
    from django.db import IntegrityError

    from classes.models import JoinCode

    klass = factories.make_class(teacher=teacher)
    real_create, draws = JoinCode.objects.create, []

    def clash(times):
        def create(**kwargs):
            draws.append(kwargs["code"])
            if len(draws) <= times:
                raise IntegrityError("UNIQUE constraint failed: classes_joincode.code")
            return real_create(**kwargs)

        return create

    monkeypatch.setattr(JoinCode.objects, "create", clash(1))
    assert services.join_code_set(klass=klass).code == draws[1]
    assert len(draws) == 2

    draws.clear()
    monkeypatch.setattr(JoinCode.objects, "create", clash(6))
    with pytest.raises(ApplicationError) as raised:
        services.join_code_set(klass=klass)
    assert (raised.value.status, raised.value.message) == (500, Messages.INTERNAL)
    assert len(draws) == 5
