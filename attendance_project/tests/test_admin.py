"""The admin site as a whole: every registered model's pages render for a superuser."""

import re

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from accounts.models import User
from attendance import services
from attendance.models import AttendanceSession
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client():
    client = Client()
    client.force_login(User.objects.create_superuser(email="root@school.test", password="admin-pass-1"))
    return client


@pytest.fixture
def finished_session():
    teacher = factories.make_teacher()
    student = factories.make_student(name="Session Pupil")
    klass = factories.make_class(teacher=teacher, students=[student], name="Latin")
    session = services.session_start(teacher=teacher, klass=klass)
    services.attendance_mark(session=session, student_id=str(student.pk), status="present", by=teacher)
    services.session_finish(session=session)
    return session


def test_every_registered_changelist_renders(admin_client, finished_session):
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = admin_client.get(url)
        assert response.status_code == 200, url


def test_session_changelist_lists_sessions_with_counts(admin_client, finished_session):
    response = admin_client.get("/admin/attendance/attendancesession/")

    assert response.status_code == 200
    assert b"Latin" in response.content
    assert b'<td class="field-present_count">1</td>' in response.content


def test_session_change_page_renders_its_records(admin_client, finished_session):
    response = admin_client.get(f"/admin/attendance/attendancesession/{finished_session.pk}/change/")

    assert response.status_code == 200
    assert b"Session Pupil" in response.content


def test_session_changelist_filters_running_sessions(admin_client, finished_session):
    teacher = factories.make_teacher()
    running = services.session_start(teacher=teacher, klass=factories.make_class(teacher=teacher, name="Greek"))

    response = admin_client.get("/admin/attendance/attendancesession/", {"is_active__exact": "1"})

    assert response.status_code == 200
    rows = re.findall(rb'<th class="field-klass[^"]*"><a href="[^"]*">([^<]*)</a>', response.content)
    assert rows == [b"Greek"]
    assert AttendanceSession.objects.get(pk=running.pk).is_active


def test_superuser_login_page_then_index(finished_session):
    User.objects.create_superuser(email="boss@school.test", password="admin-pass-1")
    client = Client()

    login = client.post(
        "/admin/login/", {"username": "boss@school.test", "password": "admin-pass-1", "next": "/admin/"}
    )

    assert login.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_wrong_password_on_the_admin_login_stays_on_the_form():
    User.objects.create_superuser(email="boss@school.test", password="admin-pass-1")

    response = Client().post("/admin/login/", {"username": "boss@school.test", "password": "nope"})

    assert response.status_code == 200
    assert b"Please enter the correct" in response.content


def test_teacher_without_staff_flag_is_redirected_from_every_admin_page(teacher):
    client = Client()
    client.force_login(teacher)

    for url in ["/admin/", "/admin/accounts/user/", "/admin/classes/class/", "/admin/attendance/attendancesession/"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/"), url
