"""Management commands of the attendance app."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from attendance.models import AttendanceSession
from classes.models import Class, Enrollment

pytestmark = pytest.mark.django_db


def test_loadtest_seed_makes_many_classes_each_with_its_teacher_students_and_session():
    out = StringIO()
    call_command("loadtest_seed", "--classes", "3", "--students", "4", stdout=out)
    seeded = json.loads(out.getvalue())["classes"]
    assert len(seeded) == 3
    assert len({c["teacher"]["id"] for c in seeded}) == 3
    for entry in seeded:
        klass = Class.objects.get(pk=entry["classId"])
        assert str(klass.teacher_id) == entry["teacher"]["id"]
        assert sorted(
            str(s) for s in Enrollment.objects.filter(klass=klass).values_list("student_id", flat=True)
        ) == sorted(s["id"] for s in entry["students"])
        assert AttendanceSession.objects.filter(klass=klass, is_active=True).exists()


def test_loadtest_seed_of_one_class_keeps_its_single_class_output():
    out = StringIO()
    call_command("loadtest_seed", "--students", "2", "--no-session", stdout=out)
    seeded = json.loads(out.getvalue())
    assert len(seeded["students"]) == 2 and seeded["startedAt"] is None
    assert not AttendanceSession.objects.filter(klass_id=seeded["classId"]).exists()
