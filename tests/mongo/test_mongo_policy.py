"""Join codes, roster import and the class policy on a real MongoDB replica set."""

import pytest
from bson import ObjectId
from django.db import IntegrityError

from attendance.models import ClassPolicy
from attendance.policy import policy_of, policy_update
from classes import services
from classes.models import Enrollment, JoinCode
from classes.roster_import import parse_roster
from classes.services import ImportResult
from core.errors import ApplicationError, Messages
from reports.selectors import class_standings, student_standing
from tests import factories
from tests.factories import finished_session

pytestmark = [pytest.mark.mongodb, pytest.mark.django_db(transaction=True)]


def test_a_join_code_is_unique_and_replaced_in_one_transaction():
    klass = factories.make_class()
    first = services.join_code_set(klass=klass)
    second = services.join_code_set(klass=klass)

    assert isinstance(second.pk, ObjectId)
    assert list(JoinCode.objects.filter(klass=klass).values_list("code", flat=True)) == [second.code]
    with pytest.raises(IntegrityError):
        JoinCode.objects.create(klass=factories.make_class(), code=second.code)
    assert first.code != second.code


def test_a_student_joins_by_code_once():
    klass = factories.make_class()
    student = factories.make_student()
    code = services.join_code_set(klass=klass).code

    assert services.class_join(student=student, code=code.lower()).pk == klass.pk
    services.class_join(student=student, code=code)

    assert Enrollment.objects.filter(klass=klass, student=student).count() == 1
    with pytest.raises(ApplicationError) as raised:
        services.class_join(student=student, code="AAAAAAAA")
    assert raised.value.message == Messages.INVALID_JOIN_CODE


def test_a_roster_import_enrolls_in_one_go():
    klass = factories.make_class()
    ada = factories.make_student(email="ada@school.test")
    factories.make_teacher(email="grace@school.test")

    rows = services.roster_import(
        klass=klass, people=parse_roster("ada@school.test\ngrace@school.test\nnew@school.test")
    )

    assert [row.result for row in rows] == [
        ImportResult.ADDED,
        ImportResult.NOT_A_STUDENT,
        ImportResult.UNKNOWN_EMAIL,
    ]
    assert list(Enrollment.objects.filter(klass=klass).values_list("student_id", flat=True)) == [ada.pk]


def test_the_policy_is_one_row_per_class_and_drives_the_standing():
    student = factories.make_student()
    klass = factories.make_class(students=[student])
    assert policy_of(klass=klass).pk is None
    for marks in ({student: "present"}, {student: "present"}, {student: "present"}, {student: "absent"}):
        finished_session(klass, marks)

    policy_update(klass=klass, required_rate=75)
    policy_update(klass=klass, late_credit=50)

    assert ClassPolicy.objects.filter(klass=klass).count() == 1
    standing = student_standing(klass=klass, student=student)
    assert (standing.counted, standing.rate, standing.can_miss, standing.level) == (4, 75, 0, "at_risk")
    assert [row[0].pk for row in class_standings(klass=klass)] == [student.pk]
