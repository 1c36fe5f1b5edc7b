"""The user admin: superusers sign in, filter by role, search by name or email."""

import pytest
from django.test import Client

from accounts.models import User
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_for_superuser():
    superuser = User.objects.create_superuser(email="Root@School.test", password="admin-pass-1")
    client = Client()
    client.force_login(superuser)
    return client


def test_create_superuser_makes_a_staff_teacher_with_a_lower_case_email():
    superuser = User.objects.create_superuser(email="Root@School.test", password="admin-pass-1")

    assert superuser.is_staff
    assert superuser.is_superuser
    assert superuser.role == "teacher"
    assert superuser.email == "root@school.test"
    assert superuser.name == "Root"
    assert superuser.check_password("admin-pass-1")


def test_superuser_can_sign_in_on_the_admin_login_page_with_email_and_password():
    User.objects.create_superuser(email="root@school.test", password="admin-pass-1")
    client = Client()

    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "ROOT@school.test", "password": "admin-pass-1", "next": "/admin/"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_admin_index_renders_for_a_superuser(admin_client_for_superuser):
    response = admin_client_for_superuser.get("/admin/")

    assert response.status_code == 200
    assert b"Users" in response.content


def test_user_changelist_filters_by_role(admin_client_for_superuser):
    factories.make_student(name="Pupil Zed", email="zed@school.test")
    factories.make_teacher(name="Teacher Quinn", email="quinn@school.test")

    response = admin_client_for_superuser.get("/admin/accounts/user/", {"role": "student"})

    assert response.status_code == 200
    assert b"zed@school.test" in response.content
    assert b"quinn@school.test" not in response.content


def test_user_changelist_searches_by_name_and_email(admin_client_for_superuser):
    factories.make_student(name="Grace Hopper", email="grace@school.test")
    factories.make_student(name="Alan Turing", email="alan@school.test")

    by_name = admin_client_for_superuser.get("/admin/accounts/user/", {"q": "hopper"})
    by_email = admin_client_for_superuser.get("/admin/accounts/user/", {"q": "alan@"})

    assert by_name.status_code == 200
    assert b"grace@school.test" in by_name.content
    assert b"alan@school.test" not in by_name.content
    assert by_email.status_code == 200
    assert b"alan@school.test" in by_email.content
    assert b"grace@school.test" not in by_email.content


def test_user_change_and_add_pages_render(admin_client_for_superuser):
    student = factories.make_student()

    assert admin_client_for_superuser.get(f"/admin/accounts/user/{student.pk}/change/").status_code == 200
    assert admin_client_for_superuser.get("/admin/accounts/user/add/").status_code == 200


def test_admin_add_user_form_creates_a_user_with_a_hashed_password(admin_client_for_superuser):
    response = admin_client_for_superuser.post(
        "/admin/accounts/user/add/",
        {
            "email": "New.Pupil@School.test",
            "name": "New Pupil",
            "role": "student",
            "password1": "a-long-password-1",
            "password2": "a-long-password-1",
            "usable_password": "true",
        },
    )

    assert response.status_code == 302, response.content[:2000]
    user = User.objects.get(email="new.pupil@school.test")
    assert user.role == "student"
    assert user.check_password("a-long-password-1")
    assert not user.is_staff


def test_teacher_without_staff_flag_is_sent_to_the_admin_login(teacher):
    client = Client()
    client.force_login(teacher)

    response = client.get("/admin/accounts/user/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_anonymous_visitor_is_sent_to_the_admin_login():
    response = Client().get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
