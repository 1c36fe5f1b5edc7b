"""Password guessing on one account is stopped and logged; a dead cache never locks a school out."""

import logging

import pytest
from django.conf import settings
from django.test import override_settings

from accounts import throttling
from core.errors import Messages
from harness.processes import free_port
from tests import factories

pytestmark = pytest.mark.django_db

LIMIT = settings.LOGIN_FAILURE_LIMIT


def login(api, email: str, password: str):
    return api.post("/auth/login", {"email": email, "password": password}, format="json")


def security_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "attendance.security" and r.levelno == logging.WARNING]


def test_a_dictionary_attack_gets_ten_guesses_and_never_the_token(api, student, caplog):
    guesses = [f"guess-{n}" for n in range(40)]
    guesses.insert(LIMIT + 5, factories.PASSWORD)  # the right password, after the limit

    with caplog.at_level(logging.WARNING, logger="attendance.security"):
        answers = [login(api, student.email.upper(), guess) for guess in guesses]

    statuses = [response.status_code for response in answers]
    assert statuses == [400] * LIMIT + [429] * (len(guesses) - LIMIT)
    assert all("token" not in str(response.json()) for response in answers)
    assert answers[-1].json() == {"success": False, "error": Messages.TOO_MANY_LOGINS}
    logged = security_warnings(caplog)
    assert any(f"Login locked after {LIMIT} failures for {student.email}" in line for line in logged)
    assert sum("Login refused for locked email" in line for line in logged) == len(guesses) - LIMIT
    assert factories.PASSWORD not in caplog.text and "guess-3" not in caplog.text


def test_guessing_on_one_account_leaves_the_classmates_signing_in(api, student):
    classmate = factories.make_student()
    for n in range(LIMIT + 3):
        login(api, student.email, f"guess-{n}")

    response = login(api, classmate.email, factories.PASSWORD)

    assert response.status_code == 200 and response.json()["data"]["token"]


UNREACHABLE_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
    }
}


def test_logins_work_when_the_cache_is_unreachable_and_say_so_in_the_log(api, student, caplog):
    with override_settings(CACHES=UNREACHABLE_REDIS), caplog.at_level(logging.WARNING, logger="attendance.security"):
        wrong = [login(api, student.email, f"guess-{n}") for n in range(LIMIT + 2)]
        right = login(api, student.email, factories.PASSWORD)

    # Fail open: no 500, no lockout; wrong passwords are still wrong.
    assert [response.status_code for response in wrong] == [400] * (LIMIT + 2)
    assert {response.json()["error"] for response in wrong} == {Messages.INVALID_LOGIN}
    assert right.status_code == 200 and right.json()["data"]["token"]
    logged = security_warnings(caplog)
    assert any(line.startswith("Login throttle unavailable, allowing the attempt") for line in logged)
    assert any(line.startswith("Login throttle unavailable, failed attempt not counted") for line in logged)
    assert any(line.startswith("Login throttle unavailable, failures not reset") for line in logged)


class BrokenCache:
    """A cache whose every call fails, as a client library does when its server went away."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def get(self, *args, **kwargs):
        raise self.error

    set = delete = get


@pytest.mark.parametrize("error", [ConnectionError("refused"), TimeoutError("timed out"), OSError("no route")])
def test_each_throttle_call_fails_open(monkeypatch, caplog, error):
    monkeypatch.setattr(throttling, "cache", BrokenCache(error))

    with caplog.at_level(logging.WARNING, logger="attendance.security"):
        assert throttling.is_locked("someone@school.test", "127.0.0.1") is False
        throttling.record_failure("someone@school.test", "127.0.0.1")
        throttling.reset("someone@school.test", "127.0.0.1")
        assert throttling.signup_allowed("127.0.0.1") is True

    # Two counters (email from this client, and the client) for each check and each failure.
    assert len(security_warnings(caplog)) == 7
    assert all(type(error).__name__ in line for line in security_warnings(caplog))
