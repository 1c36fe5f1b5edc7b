"""EMAIL_URL: one variable for the mail server, and when password reset by email is offered."""

import json

import pytest
from django.core.exceptions import ImproperlyConfigured

from attendance_project.settings.base import email_settings
from attendance_project.tests.test_settings import PRODUCTION, load

PRINT_EMAIL = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'backend': s.EMAIL_BACKEND, 'host': s.EMAIL_HOST, 'port': s.EMAIL_PORT,"
    " 'user': s.EMAIL_HOST_USER, 'password': s.EMAIL_HOST_PASSWORD, 'tls': s.EMAIL_USE_TLS,"
    " 'ssl': s.EMAIL_USE_SSL, 'reset': s.PASSWORD_RESET_BY_EMAIL, 'sender': s.DEFAULT_FROM_EMAIL,"
    " 'timeout': s.PASSWORD_RESET_TIMEOUT}))"
)
SECRET = {"JWT_SECRET": "s" * 40}


def settings_with(**env) -> dict:
    result = load({**SECRET, **env}, PRODUCTION, PRINT_EMAIL)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_unset_means_the_console_and_no_reset_with_debug_off():
    loaded = settings_with(DEBUG="0")

    assert loaded["backend"] == "django.core.mail.backends.console.EmailBackend"
    assert loaded["reset"] is False


def test_unset_under_debug_prints_reset_emails_to_the_terminal():
    loaded = settings_with(DEBUG="1")

    assert loaded["backend"] == "django.core.mail.backends.console.EmailBackend"
    assert loaded["reset"] is True


def test_an_smtp_url_with_starttls_and_an_encoded_password_configures_the_server():
    loaded = settings_with(
        DEBUG="0",
        EMAIL_URL="smtp+tls://attendance%40school.example:p%2Fss@smtp.school.example:587",
        EMAIL_FROM="Attendance <attendance@school.example>",
        PASSWORD_RESET_MINUTES="30",
    )

    assert loaded == {
        "backend": "django.core.mail.backends.smtp.EmailBackend",
        "host": "smtp.school.example",
        "port": 587,
        "user": "attendance@school.example",
        "password": "p/ss",
        "tls": True,
        "ssl": False,
        "reset": True,
        "sender": "Attendance <attendance@school.example>",
        "timeout": 1800,
    }


def test_smtp_with_tls_from_the_start():
    config = email_settings("smtp+ssl://mailer:secret@mail.example:465", debug=False)

    assert (config["EMAIL_PORT"], config.get("EMAIL_USE_SSL"), config.get("EMAIL_USE_TLS")) == (465, True, None)


@pytest.mark.parametrize("url", ["console://", "http://mail.example", "not a url"])
def test_an_email_url_of_no_known_kind_refuses_to_start(url):
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL"):
        email_settings(url, debug=False)

    result = load({**SECRET, "EMAIL_URL": url}, PRODUCTION, PRINT_EMAIL)
    assert result.returncode != 0
    assert "EMAIL_URL is not a valid email URL" in result.stderr
