"""The seed_demo command: demo data for a first look, safe to run twice."""

from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.models import Role, User
from classes.management.commands.seed_demo import PASSWORD, TEACHER
from classes.models import Class, Enrollment

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def counts() -> tuple[int, int, int, int]:
    return (
        User.objects.filter(role=Role.TEACHER).count(),
        User.objects.filter(role=Role.STUDENT).count(),
        Class.objects.count(),
        Enrollment.objects.count(),
    )


def test_seed_demo_creates_one_teacher_twelve_students_two_classes():
    output = seed()

    teachers, students, classes, enrollments = counts()
    assert (teachers, students, classes) == (1, 12, 2)
    assert enrollments == 16
    teacher = User.objects.get(role=Role.TEACHER)
    assert set(Class.objects.values_list("teacher_id", flat=True)) == {teacher.pk}
    assert TEACHER[1] in output
    assert PASSWORD in output


def test_seed_demo_twice_creates_nothing_more():
    seed()
    first = counts()

    seed()

    assert counts() == first


def test_seeded_accounts_can_log_in_through_the_api():
    seed()
    api = APIClient()

    teacher = api.post("/auth/login", {"email": TEACHER[1], "password": PASSWORD}, format="json")
    student = api.post("/auth/login", {"email": "grace.hopper@demo.school", "password": PASSWORD}, format="json")

    assert teacher.status_code == 200
    assert student.status_code == 200
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=teacher.json()["data"]["token"])
    assert len(client.get("/students").json()["data"]) == 12
