"""Class and roster reads, with the contract's 404/403 rules."""

import pytest
from django.utils import timezone

from classes import selectors
from core.errors import ApplicationError, Messages
from tests import factories

pytestmark = pytest.mark.django_db


def raised(func, **kwargs) -> tuple[int, str]:
    with pytest.raises(ApplicationError) as info:
        func(**kwargs)
    return info.value.status, info.value.message


def test_class_get_by_string_or_int_id(teacher):
    klass = factories.make_class(teacher=teacher)

    assert selectors.class_get(class_id=str(klass.pk)) == klass
    assert selectors.class_get(class_id=klass.pk) == klass


@pytest.mark.parametrize(
    "class_id", ["someid", "507f1f77bcf86cd799439011", "0", "-1", "99999999999999999999999", "", None]
)
def test_class_get_unknown_is_404(class_id):
    assert raised(selectors.class_get, class_id=class_id) == (404, Messages.CLASS_NOT_FOUND)


def test_class_owned_checks_existence_before_ownership(teacher):
    klass = factories.make_class(teacher=teacher)
    other = factories.make_teacher()

    assert selectors.class_owned(class_id=str(klass.pk), teacher=teacher) == klass
    assert raised(selectors.class_owned, class_id=str(klass.pk), teacher=other) == (403, Messages.NOT_CLASS_TEACHER)
    assert raised(selectors.class_owned, class_id="someid", teacher=other) == (404, Messages.CLASS_NOT_FOUND)


def test_class_for_viewer_allows_teacher_and_enrolled_students_only(teacher, student):
    klass = factories.make_class(teacher=teacher, students=[student])

    assert selectors.class_for_viewer(class_id=str(klass.pk), user=teacher) == klass
    assert selectors.class_for_viewer(class_id=str(klass.pk), user=student) == klass
    for outsider in (factories.make_student(), factories.make_teacher()):
        assert raised(selectors.class_for_viewer, class_id=str(klass.pk), user=outsider) == (
            403,
            Messages.NOT_CLASS_TEACHER,
        )


def test_class_enrolled_refuses_students_not_on_the_roster(teacher, student):
    klass = factories.make_class(teacher=teacher, students=[student])

    assert selectors.class_enrolled(class_id=str(klass.pk), student=student) == klass
    assert raised(selectors.class_enrolled, class_id=str(klass.pk), student=factories.make_student()) == (
        403,
        Messages.NOT_ENROLLED,
    )


def test_roster_is_ordered_by_name(teacher):
    zed = factories.make_student(name="Zed")
    amy = factories.make_student(name="Amy")
    klass = factories.make_class(teacher=teacher, students=[zed, amy])

    assert selectors.roster(klass=klass) == [amy, zed]
    assert selectors.roster_ids(klass=klass) == [zed.pk, amy.pk]


def test_classes_of_a_teacher_and_of_a_student(teacher, student):
    mine = factories.make_class(teacher=teacher, students=[student])
    factories.make_class(name="Not mine")

    assert selectors.class_ids_of(user=teacher) == [mine.pk]
    assert selectors.class_ids_of(user=student) == [mine.pk]
    assert selectors.memberships(user=student) == {str(mine.pk): str(teacher.pk)}


def test_students_all_skips_teachers_and_deactivated_students(teacher, student):
    factories.make_student(is_active=False)

    assert selectors.students_all() == [student]


def test_memberships_of_many_users_at_once_match_each_ones_own(teacher, student):
    # Every handshake of a connect storm is answered from this one lookup.
    other_teacher = factories.make_teacher()
    loner = factories.make_student()
    mine = factories.make_class(teacher=teacher, students=[student])
    theirs = factories.make_class(teacher=other_teacher, students=[student])
    gone = factories.make_class(teacher=teacher, students=[student])
    gone.archived_at = timezone.now()
    gone.save()

    found = selectors.memberships_of([teacher, student, other_teacher, loner])

    assert found[student.pk] == {str(mine.pk): str(teacher.pk), str(theirs.pk): str(other_teacher.pk)}
    assert found[teacher.pk] == {str(mine.pk): str(teacher.pk)}
    assert found[other_teacher.pk] == {str(theirs.pk): str(other_teacher.pk)}
    assert found[loner.pk] == {}
    for user in (teacher, student, other_teacher, loner):
        assert found[user.pk] == selectors.memberships(user=user)
