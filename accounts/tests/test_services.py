"""Signup and login rules, including the per-email lockout after repeated failures."""

import logging
import threading

import pytest
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from accounts import services
from accounts.models import Role, User
from core.errors import ApplicationError, Messages
from tests import factories

pytestmark = pytest.mark.django_db

LIMIT = settings.LOGIN_FAILURE_LIMIT


def login(api: APIClient, email: str, password: str):
    return api.post("/auth/login", {"email": email, "password": password}, format="json")


def fail_logins(api: APIClient, email: str, times: int) -> None:
    for _ in range(times):
        response = login(api, email, "wrong-password")
        assert response.status_code == 400
        assert response.json()["error"] == Messages.INVALID_LOGIN


def test_the_limit_is_ten_failures():
    assert LIMIT == 10


def test_eleventh_attempt_after_ten_failures_is_429_even_with_the_right_password(api, student, caplog):
    fail_logins(api, student.email, LIMIT)
    caplog.clear()

    with caplog.at_level(logging.WARNING, logger="attendance.security"):
        response = login(api, student.email, factories.PASSWORD)

    assert response.status_code == 429
    assert response.json() == {"success": False, "error": Messages.TOO_MANY_LOGINS}
    refused = [r for r in caplog.records if r.name == "attendance.security" and r.levelno == logging.WARNING]
    assert refused, "a refused login on a locked email must be logged"
    assert refused[-1].getMessage() == f"Login refused for locked email {student.email} from 127.0.0.1"
    assert factories.PASSWORD not in caplog.text


def test_reaching_the_limit_logs_a_warning_without_the_password(api, student, caplog):
    with caplog.at_level(logging.WARNING, logger="attendance.security"):
        fail_logins(api, student.email, LIMIT)

    warnings = [r for r in caplog.records if r.name == "attendance.security" and r.levelno == logging.WARNING]
    assert warnings
    assert student.email in warnings[-1].getMessage()
    assert "wrong-password" not in caplog.text


def test_nine_failures_still_allow_the_right_password(api, student):
    fail_logins(api, student.email, LIMIT - 1)

    assert login(api, student.email, factories.PASSWORD).status_code == 200


def test_a_successful_login_before_the_limit_resets_the_count(api, student):
    fail_logins(api, student.email, LIMIT - 1)
    assert login(api, student.email, factories.PASSWORD).status_code == 200

    fail_logins(api, student.email, LIMIT - 1)

    assert login(api, student.email, factories.PASSWORD).status_code == 200


def test_the_lockout_counts_the_email_in_any_case(api, student):
    fail_logins(api, student.email.upper(), LIMIT)

    assert login(api, student.email, factories.PASSWORD).status_code == 429


def test_failures_on_one_email_do_not_affect_another(api, student):
    other = factories.make_student()
    fail_logins(api, student.email, LIMIT)

    assert login(api, student.email, factories.PASSWORD).status_code == 429
    response = login(api, other.email, factories.PASSWORD)
    assert response.status_code == 200


def test_unknown_emails_are_locked_too(api):
    fail_logins(api, "ghost@school.test", LIMIT)

    assert login(api, "ghost@school.test", "anything").status_code == 429


def test_many_accounts_signing_up_and_logging_in_from_one_client_keep_working(api):
    for n in range(60):
        email = f"pupil{n}@school.test"
        signup = api.post(
            "/auth/signup",
            {"name": f"Pupil {n}", "email": email, "password": "secret1", "role": "student"},
            format="json",
        )
        assert signup.status_code == 201, (n, signup.content)
        response = login(api, email, "secret1")
        assert response.status_code == 200, (n, response.content)

    assert User.objects.filter(role=Role.STUDENT).count() == 60


def test_user_signup_normalizes_the_email_and_hashes_the_password():
    user = services.user_signup(name="Ada", email=" Ada@School.TEST ", password="secret1", role="teacher")

    assert user.email == "ada@school.test"
    assert user.password != "secret1"
    assert user.check_password("secret1")
    assert user.role == Role.TEACHER
    assert not user.is_staff


def test_user_signup_refuses_a_taken_email_in_any_case():
    services.user_signup(name="Ada", email="ada@school.test", password="secret1", role="teacher")

    with pytest.raises(ApplicationError) as raised:
        services.user_signup(name="Ada 2", email="ADA@school.test", password="secret1", role="student")

    assert raised.value.status == 400
    assert raised.value.message == Messages.EMAIL_EXISTS


def test_user_login_returns_access_and_refresh_tokens(student):
    tokens = services.user_login(email=student.email, password=factories.PASSWORD)

    assert set(tokens) == {"token", "refresh"}
    assert tokens["token"] != tokens["refresh"]


def test_user_login_wrong_password_raises_the_contract_error(student):
    with pytest.raises(ApplicationError) as raised:
        services.user_login(email=student.email, password="nope-nope")

    assert (raised.value.status, raised.value.message) == (400, Messages.INVALID_LOGIN)


def _in_threads(count: int, work) -> list:
    """Run `work(i)` in `count` threads released together; return the results in order."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = work(i)
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_signups_with_one_email_create_one_user():
    def signup(i: int) -> int:
        response = APIClient().post(
            "/auth/signup",
            {
                "name": f"Racer {i}",
                "email": f"Racer@School.test{' ' * (i % 2)}",
                "password": "secret1",
                "role": "student",
            },
            format="json",
        )
        return response.status_code, response.json()

    results = _in_threads(6, signup)

    statuses = sorted(status for status, _ in results)
    assert statuses == [201, 400, 400, 400, 400, 400], results
    assert all(body == {"success": False, "error": Messages.EMAIL_EXISTS} for status, body in results if status == 400)
    assert User.objects.filter(email="racer@school.test").count() == 1


def test_an_unknown_email_costs_one_password_hash_like_a_wrong_password(student, monkeypatch):
    from django.contrib.auth.hashers import get_hasher

    hasher = get_hasher()
    calls = []
    for name in ("encode", "verify"):
        real = getattr(hasher, name)
        monkeypatch.setattr(hasher, name, lambda *args, _real=real, _name=name: calls.append(_name) or _real(*args))

    # A wrong password is checked against the stored hash; an unknown email hashes the
    # password all the same, so the two answers take the same work.
    for email, work in ((student.email, "verify"), ("nobody@example.com", "encode")):
        calls.clear()
        with pytest.raises(ApplicationError) as error:
            services.user_login(email=email, password="wrong-password")
        assert error.value.message == Messages.INVALID_LOGIN
        assert calls[:1] == [work] and calls.count("verify") <= 1, (email, calls)


def test_signup_keeps_the_name_and_a_taken_email_is_400_even_when_the_check_raced(monkeypatch):
    user = services.user_signup(name="Ada", email="Ada@School.test", password="long-password-1", role=Role.TEACHER)
    assert (user.name, user.email, user.role) == ("Ada", "ada@school.test", Role.TEACHER)

    for attempt in ("checked", "raced"):
        if attempt == "raced":  # the other signup committed after this one's check
            monkeypatch.setattr(User.objects, "filter", lambda **kwargs: User.objects.none())
        with pytest.raises(ApplicationError) as error:
            services.user_signup(name="Eve", email="ADA@school.test", password="long-password-2", role=Role.STUDENT)
        assert (error.value.message, error.value.status) == (Messages.EMAIL_EXISTS, 400), attempt
    monkeypatch.undo()
    assert User.objects.get(email="ada@school.test").name == "Ada"


def test_the_api_applies_the_full_password_rules_only_when_the_policy_is_strict(settings):
    for policy, strict in (("strict", True), ("contract", False)):
        settings.PASSWORD_POLICY = policy
        assert services.api_password_rules_are_strict() is strict


def test_wrong_current_passwords_count_towards_the_sign_in_lockout_of_that_client(student):
    for _ in range(LIMIT):
        with pytest.raises(ApplicationError) as raised:
            services.check_current_password(user=student, password="wrong-password", client="10.0.0.1")
        assert (raised.value.status, raised.value.message) == (400, Messages.WRONG_PASSWORD)

    with pytest.raises(ApplicationError) as raised:
        services.user_login(email=student.email, password=factories.PASSWORD, client="10.0.0.1")
    assert (raised.value.status, raised.value.message) == (429, Messages.TOO_MANY_LOGINS)
    assert services.user_login(email=student.email, password=factories.PASSWORD, client="10.0.0.2")["token"]


def test_full_password_rules_refuse_a_password_like_the_new_accounts_email():
    email = "quasar.velvet@school.test"
    with pytest.raises(ApplicationError) as raised:
        services.user_signup(name="Ada", email=email, password=email, role=Role.STUDENT, full_password_rules=True)

    assert (raised.value.status, raised.value.message) == (400, Messages.INVALID_SCHEMA)
    assert not User.objects.filter(email=email).exists()
