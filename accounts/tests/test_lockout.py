"""One lockout for every door, keyed by (email, client); per-client limits on logins and signups."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from core.errors import Messages
from tests import factories

pytestmark = pytest.mark.django_db

VICTIM_HOME = "198.51.100.7"
ATTACKER = "203.0.113.66"


def api_from(address: str) -> APIClient:
    return APIClient(REMOTE_ADDR=address)


def login(client: APIClient, email: str, password: str):
    return client.post("/auth/login", {"email": email, "password": password}, format="json")


def test_a_stranger_cannot_lock_the_victim_out_of_the_victims_own_network(student, settings):
    attacker = api_from(ATTACKER)
    for n in range(settings.LOGIN_FAILURE_LIMIT + 5):
        login(attacker, student.email, f"guess-{n}")

    assert login(attacker, student.email, factories.PASSWORD).status_code == 429
    victim = login(api_from(VICTIM_HOME), student.email, factories.PASSWORD)
    assert victim.status_code == 200 and victim.json()["data"]["token"]


def test_one_client_cannot_walk_through_a_list_of_emails(settings):
    settings.LOGIN_CLIENT_FAILURE_LIMIT = 30
    target = factories.make_student()
    attacker = api_from(ATTACKER)

    statuses = [login(attacker, f"pupil{n}@school.test", "password1").status_code for n in range(40)]

    assert statuses == [400] * 30 + [429] * 10
    # Locked for every email, the right password included; other clients are unaffected.
    refused = login(attacker, target.email, factories.PASSWORD)
    assert refused.status_code == 429
    assert refused.json() == {"success": False, "error": Messages.TOO_MANY_LOGINS}
    assert login(api_from(VICTIM_HOME), target.email, factories.PASSWORD).status_code == 200


def test_the_admin_login_shares_the_lockout_and_says_so(settings):
    User.objects.create_superuser(email="root@school.test", password="admin-pass-1")
    admin = Client(REMOTE_ADDR=ATTACKER)
    for n in range(settings.LOGIN_FAILURE_LIMIT):
        admin.post("/admin/login/", {"username": "root@school.test", "password": f"guess-{n}"})

    response = admin.post("/admin/login/?next=/admin/", {"username": "root@school.test", "password": "admin-pass-1"})

    assert response.status_code == 200
    assert Messages.TOO_MANY_LOGINS.encode() in response.content
    assert admin.get("/admin/").status_code == 302  # not signed in
    assert login(api_from(ATTACKER), "root@school.test", "admin-pass-1").status_code == 429
    assert (
        Client(REMOTE_ADDR=VICTIM_HOME)
        .post("/admin/login/", {"username": "root@school.test", "password": "admin-pass-1"})
        .status_code
        == 302
    )


def test_api_failures_lock_the_page_and_the_admin_too(student, settings):
    for n in range(settings.LOGIN_FAILURE_LIMIT):
        login(api_from(ATTACKER), student.email, f"guess-{n}")

    page = Client(REMOTE_ADDR=ATTACKER).post("/", {"email": student.email, "password": factories.PASSWORD})

    assert page.status_code == 400
    assert Messages.TOO_MANY_LOGINS.encode() in page.content


def test_a_student_with_the_right_password_is_still_refused_by_the_admin(student):
    response = Client().post("/admin/login/", {"username": student.email, "password": factories.PASSWORD})

    assert response.status_code == 200
    assert b"staff account" in response.content


def signup(client: APIClient, n: int):
    body = {"name": f"Pupil {n}", "email": f"new{n}@school.test", "password": "secret1", "role": "student"}
    return client.post("/auth/signup", body, format="json")


def test_signups_from_one_client_are_limited(settings):
    settings.SIGNUP_CLIENT_LIMIT = 3
    flood = api_from(ATTACKER)

    statuses = [signup(flood, n).status_code for n in range(5)]

    assert statuses == [201, 201, 201, 429, 429]
    assert signup(flood, 9).json() == {"success": False, "error": Messages.TOO_MANY_SIGNUPS}
    assert User.objects.count() == 3
    assert signup(api_from(VICTIM_HOME), 10).status_code == 201


def test_the_signup_page_shares_the_limit(settings):
    settings.SIGNUP_CLIENT_LIMIT = 1
    signup(api_from(ATTACKER), 1)

    response = Client(REMOTE_ADDR=ATTACKER).post(
        "/app/signup/", {"name": "Ada", "email": "ada@school.test", "password": "Violet-orbit-42", "role": "student"}
    )

    assert response.status_code == 400
    assert Messages.TOO_MANY_SIGNUPS.encode() in response.content
    assert not User.objects.filter(email="ada@school.test").exists()


def test_x_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(student, settings):
    # Without a trusted proxy, a forged header cannot spread guesses over made-up addresses.
    for n in range(settings.LOGIN_FAILURE_LIMIT):
        api_from(ATTACKER).post(
            "/auth/login",
            {"email": student.email, "password": f"guess-{n}"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}",
        )

    assert login(api_from(ATTACKER), student.email, factories.PASSWORD).status_code == 429


def test_behind_a_trusted_proxy_the_forwarded_client_is_counted(student, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    proxy = api_from("10.0.0.2")
    for n in range(settings.LOGIN_FAILURE_LIMIT):
        proxy.post(
            "/auth/login",
            {"email": student.email, "password": f"guess-{n}"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"192.0.2.1, {ATTACKER}",  # the client wrote the first hop
        )

    locked = proxy.post(
        "/auth/login",
        {"email": student.email, "password": factories.PASSWORD},
        format="json",
        HTTP_X_FORWARDED_FOR=ATTACKER,
    )
    victim = proxy.post(
        "/auth/login",
        {"email": student.email, "password": factories.PASSWORD},
        format="json",
        HTTP_X_FORWARDED_FOR=VICTIM_HOME,
    )

    assert locked.status_code == 429
    assert victim.status_code == 200
