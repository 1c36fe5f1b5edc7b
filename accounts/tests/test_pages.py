"""The sign-in, sign-up and sign-out pages."""

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import Role, User
from core.errors import Messages
from tests.factories import PASSWORD, make_student, make_teacher

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_signed_out_visitor_gets_the_login_form():
    response = Client().get("/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b'name="email"' in response.content
    assert b'name="password"' in response.content
    assert b"/app/signup/?role=teacher" in response.content
    assert b"/app/signup/?role=student" in response.content


@pytest.mark.parametrize(("role", "home"), [(Role.TEACHER, "/app/"), (Role.STUDENT, "/app/live/")])
def test_login_signs_in_and_goes_to_the_role_home(role, home):
    user = make_teacher() if role == Role.TEACHER else make_student()
    client = Client()

    response = client.post("/", {"email": user.email.upper(), "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == home
    assert client.get("/")["Location"] == home  # now signed in: / sends home


def test_wrong_password_shows_the_contract_message_and_does_not_sign_in():
    user = make_teacher()
    client = Client()

    response = client.post("/", {"email": user.email, "password": "wrong-password"})

    assert response.status_code == 400
    assert Messages.INVALID_LOGIN.encode() in response.content
    assert client.get("/app/").status_code == 302


def test_unknown_email_gets_the_same_message():
    response = Client().post("/", {"email": "nobody@school.test", "password": "whatever"})

    assert response.status_code == 400
    assert Messages.INVALID_LOGIN.encode() in response.content


def test_repeated_failures_lock_the_email_even_with_the_right_password():
    user = make_student()
    client = Client()
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        client.post("/", {"email": user.email, "password": "wrong-password"})

    response = client.post("/", {"email": user.email, "password": PASSWORD})

    assert response.status_code == 400
    assert Messages.TOO_MANY_LOGINS.encode() in response.content
    assert client.get("/app/live/").status_code == 302


def test_failures_on_the_api_lock_the_page_too_and_a_deactivated_account_cannot_sign_in():
    user = make_student()
    api = Client()
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        api.post("/auth/login", {"email": user.email, "password": "wrong-password"}, content_type="application/json")

    locked = Client().post("/", {"email": user.email, "password": PASSWORD})
    inactive = make_teacher(is_active=False)
    refused = Client().post("/", {"email": inactive.email, "password": PASSWORD})

    assert Messages.TOO_MANY_LOGINS.encode() in locked.content
    assert (refused.status_code, Messages.INVALID_LOGIN.encode() in refused.content) == (400, True)


def test_login_follows_a_local_next_and_ignores_a_foreign_one():
    teacher = make_teacher()

    local = Client().post("/", {"email": teacher.email, "password": PASSWORD, "next": "/app/classes/1/"})
    foreign = Client().post("/", {"email": teacher.email, "password": PASSWORD, "next": "https://evil.test/"})

    assert local["Location"] == "/app/classes/1/"
    assert foreign["Location"] == "/app/"


def test_signup_page_preselects_the_role_from_the_link():
    response = Client().get("/app/signup/?role=student")

    assert response.status_code == 200
    assert b'value="student" required id="id_role_1" checked' in response.content


@pytest.mark.parametrize(("role", "home"), [("teacher", "/app/"), ("student", "/app/live/")])
def test_signup_creates_the_account_and_signs_it_in(role, home):
    client = Client()

    response = client.post(
        "/app/signup/",
        {"name": "Ada Lovelace", "email": "Ada@School.test", "password": "Violet-orbit-42", "role": role},
    )

    assert response.status_code == 302
    assert response["Location"] == home
    user = User.objects.get(email="ada@school.test")
    assert (user.name, user.role) == ("Ada Lovelace", role)
    assert user.check_password("Violet-orbit-42")
    assert client.get(home).status_code == 200


def test_signup_refuses_a_taken_email_in_any_case():
    make_student(email="taken@school.test")

    response = Client().post(
        "/app/signup/",
        {"name": "Other", "email": "TAKEN@school.test", "password": "Violet-orbit-42", "role": "student"},
    )

    assert response.status_code == 400
    assert Messages.EMAIL_EXISTS.encode() in response.content
    assert User.objects.filter(email="taken@school.test").count() == 1


@pytest.mark.parametrize(
    "body",
    [
        {"name": "A", "email": "a@school.test", "password": "12345", "role": "student"},
        {"name": "", "email": "a@school.test", "password": "123456", "role": "student"},
        {"name": "A", "email": "not-an-email", "password": "123456", "role": "student"},
        {"name": "A", "email": "a@school.test", "password": "123456", "role": "admin"},
    ],
)
def test_signup_refuses_invalid_input_with_field_errors(body):
    response = Client().post("/app/signup/", body)

    assert response.status_code == 400
    assert b'aria-invalid="true"' in response.content
    assert not User.objects.filter(email="a@school.test").exists()


def test_logout_is_post_only_and_signs_out():
    client = signed_in(make_teacher())

    assert client.get("/app/logout/").status_code == 405
    response = client.post("/app/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/app/")["Location"].startswith("/?next=")


def test_login_and_logout_enforce_csrf():
    teacher = make_teacher()
    client = Client(enforce_csrf_checks=True)

    refused = client.post("/", {"email": teacher.email, "password": PASSWORD})
    assert refused.status_code == 403
    assert b"This form has expired" in refused.content

    client.get("/")  # the form sets the CSRF cookie
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    accepted = client.post("/", {"email": teacher.email, "password": PASSWORD, "csrfmiddlewaretoken": token})
    assert accepted.status_code == 302

    assert client.post("/app/logout/").status_code == 403
    assert client.get("/app/").status_code == 200


def test_page_paths_answer_html_errors_and_api_paths_json():
    page = Client().get("/app/no-such-page/")
    api = Client().get("/no-such-route")

    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")
    assert b"Page not found" in page.content
    assert api.status_code == 404
    assert api.json() == {"success": False, "error": Messages.NOT_FOUND}


def test_signed_in_user_visiting_signup_goes_home():
    assert signed_in(make_student()).get("/app/signup/")["Location"] == "/app/live/"
