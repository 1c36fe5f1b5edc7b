"""The account page: name, email (with the password) and password, and every refusal."""

import pytest
from django.test import Client

from accounts.models import User
from accounts.tokens import issue_tokens, user_from_token
from core.errors import Messages
from tests.factories import PASSWORD, make_student, make_teacher

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Violet-orbit-42"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def stored(user) -> User:
    return User.objects.get(pk=user.pk)


def test_the_account_page_needs_a_signed_in_user():
    response = Client().get("/app/account/")

    assert (response.status_code, response["Location"]) == (302, "/?next=/app/account/")


@pytest.mark.parametrize("make", [make_teacher, make_student])
def test_every_user_sees_their_name_and_email_and_a_link_from_every_page(make):
    user = make(name="Grace Hopper")

    page = signed_in(user).get("/app/account/")

    assert page.status_code == 200
    assert b"Grace Hopper" in page.content
    assert user.email.encode() in page.content
    assert b'href="/app/account/"' in page.content


# --- name ---------------------------------------------------------------------------------


def test_changing_the_name_shows_it_everywhere():
    user = make_teacher(name="Old Name")
    client = signed_in(user)

    response = client.post("/app/account/name/", {"name": "  New Name  "})

    assert (response.status_code, response["Location"]) == (302, "/app/account/")
    assert stored(user).name == "New Name"
    assert b"New Name" in client.get("/app/").content


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_an_empty_or_too_long_name_is_refused_and_changes_nothing(name):
    user = make_teacher(name="Kept Name")

    response = signed_in(user).post("/app/account/name/", {"name": name})

    assert response.status_code == 400
    assert b"errorlist" in response.content
    assert stored(user).name == "Kept Name"


# --- email --------------------------------------------------------------------------------


def test_changing_the_email_with_the_password_moves_the_sign_in():
    user = make_student()
    client = signed_in(user)

    response = client.post("/app/account/email/", {"email": "New.Address@School.test", "password": PASSWORD})

    assert (response.status_code, response["Location"]) == (302, "/app/account/")
    assert stored(user).email == "new.address@school.test"
    assert Client().post("/", {"email": "new.address@school.test", "password": PASSWORD}).status_code == 302
    assert client.get("/app/account/").status_code == 200  # still signed in


def test_the_wrong_password_refuses_an_email_change():
    user = make_student()

    response = signed_in(user).post("/app/account/email/", {"email": "new@school.test", "password": "wrong-pass"})

    assert response.status_code == 400
    assert Messages.WRONG_PASSWORD.encode() in response.content
    assert stored(user).email == user.email


def test_an_email_another_account_has_is_refused_in_any_case():
    user = make_student()
    other = make_teacher(email="taken@school.test")

    response = signed_in(user).post("/app/account/email/", {"email": "TAKEN@school.test", "password": PASSWORD})

    assert response.status_code == 400
    assert Messages.EMAIL_EXISTS.encode() in response.content
    assert stored(user).email == user.email
    assert stored(other).email == "taken@school.test"
    # The page shows the account's own email, not the one refused.
    assert user.email.encode() in response.content


@pytest.mark.parametrize("body", [{"email": "not-an-email", "password": PASSWORD}, {"email": "", "password": ""}])
def test_a_bad_email_form_is_refused(body):
    user = make_student()

    response = signed_in(user).post("/app/account/email/", body)

    assert response.status_code == 400
    assert stored(user).email == user.email


def test_guessing_the_password_through_the_email_form_meets_the_login_lockout(settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    user = make_student()
    client = signed_in(user)
    for _ in range(2):
        client.post("/app/account/email/", {"email": "new@school.test", "password": "guess"})

    response = client.post("/app/account/email/", {"email": "new@school.test", "password": PASSWORD})

    assert response.status_code == 429
    assert Messages.TOO_MANY_LOGINS.encode() in response.content
    assert stored(user).email == user.email


# --- password -----------------------------------------------------------------------------


def _password_body(current=PASSWORD, new=NEW_PASSWORD, again=None) -> dict:
    return {"current_password": current, "new_password": new, "new_password_again": new if again is None else again}


def test_changing_the_password_keeps_this_browser_and_ends_every_other_session_and_token():
    user = make_teacher()
    tokens = issue_tokens(user)
    client, elsewhere = signed_in(user), signed_in(user)

    response = client.post("/app/account/password/", _password_body())

    assert (response.status_code, response["Location"]) == (302, "/app/account/")
    assert stored(user).check_password(NEW_PASSWORD)
    assert client.get("/app/account/").status_code == 200
    assert elsewhere.get("/app/account/").status_code == 302
    assert user_from_token(tokens["token"]) is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (_password_body(current="wrong-pass"), Messages.WRONG_PASSWORD),
        (_password_body(new="short"), "too short"),
        (_password_body(new="password123"), "too common"),
        (_password_body(new="98765432101"), "entirely numeric"),
        (_password_body(again="Violet-orbit-43"), "The two new passwords differ."),
        (_password_body(current=""), "This field is required."),
    ],
)
def test_a_refused_password_change_says_why_and_changes_nothing(body, message):
    user = make_teacher()
    tokens = issue_tokens(user)

    response = signed_in(user).post("/app/account/password/", body)

    assert response.status_code == 400
    assert message.encode() in response.content
    assert stored(user).check_password(PASSWORD)
    assert user_from_token(tokens["token"]) is not None


def test_a_password_like_the_users_own_email_is_refused():
    user = make_teacher(email="margaret.hamilton@school.test")

    response = signed_in(user).post("/app/account/password/", _password_body(new="margaret.hamilton"))

    assert response.status_code == 400
    assert stored(user).check_password(PASSWORD)


def test_the_page_and_the_api_share_one_password_rule():
    user = make_teacher()
    client = Client()
    token = issue_tokens(user)["token"]

    api = client.post(
        "/auth/password",
        {"currentPassword": PASSWORD, "newPassword": "password123"},
        content_type="application/json",
        HTTP_AUTHORIZATION=token,
    )
    page = signed_in(user).post("/app/account/password/", _password_body(new="password123"))

    assert (api.status_code, page.status_code) == (400, 400)
    assert stored(user).check_password(PASSWORD)


@pytest.mark.parametrize("path", ["/app/account/name/", "/app/account/email/", "/app/account/password/"])
def test_the_forms_take_only_posts(path):
    assert signed_in(make_student()).get(path).status_code == 405
