"""Forgotten passwords: the reset request, the emailed link, the new password, and every refusal."""

import re

import pytest
from django.core import mail
from django.test import Client

from accounts.models import User
from accounts.tokens import issue_tokens, user_from_token
from core.errors import Messages
from tests.factories import PASSWORD, make_student, make_teacher

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Violet-orbit-42"
LINK = re.compile(r"http://testserver(/app/password/reset/[^/\s]+/[^/\s]+/)")


def ask(client: Client, email: str):
    return client.post("/app/password/reset/", {"email": email})


def link_in(message) -> str:
    return LINK.search(message.body).group(1)


def open_link(email: str, client: Client | None = None) -> tuple[Client, str]:
    """Ask for a link to `email`, follow it, and return the browser and its new-password form's address."""
    client = client or Client()
    ask(Client(), email)
    return client, client.get(link_in(mail.outbox[-1]))["Location"]


def test_the_sign_in_page_links_to_the_reset_page():
    assert b'href="/app/password/reset/"' in Client().get("/").content


def test_a_known_email_gets_a_link_that_sets_a_new_password_and_signs_in():
    user = make_teacher(name="Ada Lovelace")
    client = Client()

    response = ask(client, user.email.upper())

    assert (response.status_code, response["Location"]) == (302, "/app/password/reset/sent/")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [user.email]
    assert "Ada Lovelace" in message.body
    confirm = client.get(link_in(message))
    assert confirm.status_code == 302  # the token moves to the session, off the address bar
    form = client.get(confirm["Location"])
    assert b'name="new_password1"' in form.content
    done = client.post(confirm["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert (done.status_code, done["Location"]) == (302, "/app/password/reset/done/")
    signed_in = Client()
    assert signed_in.post("/", {"email": user.email, "password": NEW_PASSWORD})["Location"] == "/app/"
    assert Client().post("/", {"email": user.email, "password": PASSWORD}).status_code == 400


def test_known_and_unknown_emails_get_the_same_answer():
    user = make_student()

    known = ask(Client(), user.email)
    unknown = ask(Client(), "nobody@school.test")

    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert [message.to for message in mail.outbox] == [[user.email]]


def test_an_inactive_account_gets_no_email():
    user = make_student(is_active=False)

    assert ask(Client(), user.email).status_code == 302
    assert mail.outbox == []


def test_a_link_works_once():
    user = make_student()
    client, form_url = open_link(user.email)
    link = link_in(mail.outbox[0])
    client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    again = Client()
    response = again.get(link)

    assert response.status_code == 200
    assert b"This link does not work" in response.content
    assert b'name="new_password1"' not in response.content


def test_a_reset_ends_every_token_and_page_session_of_the_account():
    user = make_teacher()
    tokens = issue_tokens(user)
    elsewhere = Client()
    elsewhere.force_login(user)
    assert elsewhere.get("/app/").status_code == 200
    client, form_url = open_link(user.email)

    client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert user_from_token(tokens["token"]) is None
    assert elsewhere.get("/app/")["Location"] == "/?next=/app/"


def test_a_reset_announces_the_revocation_for_the_live_layer(django_capture_on_commit_callbacks):
    from accounts import events

    user = make_student()
    heard = []
    events.access_revoked.connect(receiver := lambda sender, user_id, **kw: heard.append(user_id))
    try:
        client, form_url = open_link(user.email)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    finally:
        events.access_revoked.disconnect(receiver)

    assert heard == [str(user.pk)]


@pytest.mark.parametrize(
    ("first", "second"),
    [("short", "short"), ("password", "password"), ("12345678901", "12345678901"), (NEW_PASSWORD, "Other-orbit-42")],
)
def test_a_weak_or_mismatched_new_password_is_refused_and_changes_nothing(first, second):
    user = make_student()
    client, form_url = open_link(user.email)

    response = client.post(form_url, {"new_password1": first, "new_password2": second})

    assert response.status_code == 400
    assert b"errorlist" in response.content
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize("path", ["/app/password/reset/MQ/nonsense-token/", "/app/password/reset/%ZZ/x-y/"])
def test_a_forged_or_broken_link_is_refused(path):
    make_student()

    response = Client().get(path)

    assert response.status_code == 200
    assert b"This link does not work" in response.content


@pytest.mark.parametrize("email", ["", "not-an-email", "a" * 300 + "@x.test"])
def test_a_bad_email_is_refused_with_a_message(email):
    response = ask(Client(), email)

    assert response.status_code == 400
    assert b"errorlist" in response.content
    assert mail.outbox == []


def test_requests_from_one_client_are_limited(settings):
    settings.PASSWORD_RESET_CLIENT_LIMIT = 3
    client = Client()
    for n in range(3):
        assert ask(client, f"someone{n}@school.test").status_code == 302

    response = ask(client, "someone-else@school.test")

    assert response.status_code == 429
    assert Messages.TOO_MANY_RESETS.encode() in response.content


def test_one_address_gets_a_few_emails_and_then_the_same_answer_without_more(settings):
    settings.PASSWORD_RESET_EMAIL_LIMIT = 2
    user = make_student()

    answers = {ask(Client(), user.email)["Location"] for _ in range(4)}

    assert answers == {"/app/password/reset/sent/"}
    assert len(mail.outbox) == 2


def test_without_email_configured_reset_is_not_offered(settings):
    settings.PASSWORD_RESET_BY_EMAIL = False
    user = make_student()

    assert b"/app/password/reset/" not in Client().get("/").content
    response = ask(Client(), user.email)

    assert response.status_code == 404
    assert b"not set up here" in response.content
    assert mail.outbox == []


def test_a_reset_lifts_the_lockout_the_user_caused_from_this_address(settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    user = make_student()
    client = Client()
    for _ in range(2):
        client.post("/", {"email": user.email, "password": "wrong-guess"})
    assert client.post("/", {"email": user.email, "password": PASSWORD}).status_code == 400
    client, form_url = open_link(user.email, client)

    client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert client.post("/", {"email": user.email, "password": NEW_PASSWORD}).status_code == 302
    assert User.objects.get(pk=user.pk).check_password(NEW_PASSWORD)
