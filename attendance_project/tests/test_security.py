"""Browser-facing headers, secrets, password rules and CSV cells that a spreadsheet cannot run."""

import csv
import io
import re
import subprocess
import sys

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from core.csv_safety import safe_cell
from core.errors import Messages
from harness.server import ROOT
from tests.factories import finished_session, make_class, make_student, make_teacher, signed_in, token_for

PRODUCTION = {
    "PATH": "/usr/bin:/bin",
    "DJANGO_SETTINGS_MODULE": "attendance_project.settings.production",
    "DEBUG": "0",
    "JWT_SECRET": "k" * 24 + "-production-jwt-secret-value",
    "DJANGO_SECRET_KEY": "d" * 20 + "-a-separate-production-django-secret-key-value",
    "SECURE_COOKIES": "1",
    "ALLOWED_HOSTS": "attendance.school.example",
}


def run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=120
    )


# Headers ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_pages_carry_a_strict_content_security_policy():
    response = Client().get("/")

    policy = dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    assert policy["script-src"] == "'self'"
    assert policy["default-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy["style-src"]
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"] and "geolocation=()" in response["Permissions-Policy"]


@pytest.mark.django_db
def test_only_the_api_docs_page_may_run_its_inline_script():
    docs = Client().get("/api/docs/")

    assert docs.status_code == 200
    assert "'unsafe-inline'" in docs["Content-Security-Policy"].split("script-src")[1].split(";")[0]


@pytest.mark.django_db
def test_private_pages_exports_and_tokens_are_never_stored():
    teacher, student = make_teacher(), make_student()
    klass = make_class(teacher=teacher, students=[student])
    page = signed_in(teacher)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=token_for(teacher))

    responses = [
        page.get("/app/"),
        page.get(f"/app/classes/{klass.pk}/"),
        page.get(f"/app/classes/{klass.pk}/export.csv"),
        signed_in(student).get("/app/live/"),
        api.get("/auth/me"),
        APIClient().post("/auth/login", {"email": teacher.email, "password": "secret-pass"}, format="json"),
    ]

    assert [response.status_code for response in responses] == [200] * len(responses)
    assert {response["Cache-Control"] for response in responses} == {"no-store"}


@pytest.mark.django_db
def test_hsts_is_sent_when_secure_cookies_are_on_and_not_otherwise():
    production = run(
        [
            "-c",
            "import django; django.setup(); from django.conf import settings as s; "
            "print(s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT)",
        ],
        PRODUCTION,
    )
    plain = run(
        ["-c", "import django; django.setup(); from django.conf import settings as s; print(s.SECURE_HSTS_SECONDS)"],
        {**PRODUCTION, "SECURE_COOKIES": "0"},
    )

    assert production.stdout.split() == [str(365 * 24 * 3600), "True"], production.stderr
    assert plain.stdout.split() == ["0"], plain.stderr


def test_the_production_environment_passes_check_deploy_without_a_warning():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stderr and "System check identified no issues" in result.stdout


# Secrets ------------------------------------------------------------------------------------


def test_a_short_jwt_secret_is_refused_with_debug_off():
    result = run(["-c", "import django; django.setup()"], {**PRODUCTION, "JWT_SECRET": "abc"})

    assert result.returncode != 0
    assert "JWT_SECRET is 3 characters long" in result.stderr


def test_django_secret_key_is_never_the_jwt_secret():
    show = "import django; django.setup(); from django.conf import settings as s; print(s.SECRET_KEY)"
    separate = run(["-c", show], PRODUCTION)
    derived = run(["-c", show], {k: v for k, v in PRODUCTION.items() if k != "DJANGO_SECRET_KEY"})

    assert separate.stdout.strip() == PRODUCTION["DJANGO_SECRET_KEY"]
    key = derived.stdout.strip()
    assert key and key != PRODUCTION["JWT_SECRET"] and PRODUCTION["JWT_SECRET"] not in key


# Passwords ----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("password", ["aaaaaa", "password123", "31415926535", "ada.lovelace"], ids=repr)
def test_the_signup_page_refuses_weak_passwords(password):
    body = {"name": "Ada Lovelace", "email": "ada.lovelace@school.test", "password": password, "role": "student"}

    response = Client().post("/app/signup/", body)

    assert response.status_code == 400
    assert b'aria-invalid="true"' in response.content
    assert not User.objects.filter(email="ada.lovelace@school.test").exists()


def api_signup(password: str):
    body = {"name": "Ada", "email": "ada@school.test", "password": password, "role": "student"}
    return APIClient().post("/auth/signup", body, format="json")


@pytest.mark.django_db
def test_the_api_keeps_the_contracts_six_characters_by_default():
    assert api_signup("secret1").status_code == 201
    assert api_signup("12345").json() == {"success": False, "error": Messages.INVALID_SCHEMA}


@pytest.mark.django_db
@pytest.mark.parametrize("password", ["aaaaaa", "password123", "secret1"], ids=repr)
def test_password_policy_strict_applies_the_validators_to_the_api(settings, password):
    settings.PASSWORD_POLICY = "strict"

    response = api_signup(password)

    assert response.status_code == 400
    assert response.json() == {"success": False, "error": Messages.INVALID_SCHEMA}
    assert not User.objects.exists()
    assert api_signup("Violet-orbit-42").status_code == 201


def test_an_unknown_password_policy_is_refused():
    result = run(["-c", "import django; django.setup()"], {**PRODUCTION, "PASSWORD_POLICY": "lax"})

    assert result.returncode != 0 and "PASSWORD_POLICY must be" in result.stderr


# CSV ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("x;=1+1", "x;=1+1"),
        ("=1+1", "'=1+1"),
        ("\uff1d1+1", "'\uff1d1+1"),
        ("\uff0bcmd", "'\uff0bcmd"),
        ("\uff20SUM(A1)", "'\uff20SUM(A1)"),
        ("  =1+1", "'  =1+1"),
        ("|calc", "'|calc"),
        ("Ada Lovelace", "Ada Lovelace"),
    ],
)
def test_formula_prefixes_are_neutralised_including_full_width_forms(value, cell):
    assert safe_cell(value) == cell


@pytest.mark.django_db
def test_every_csv_field_is_quoted_so_a_semicolon_locale_cannot_split_a_name():
    teacher = make_teacher()
    student = make_student(name="x;=1+1")
    klass = make_class(teacher=teacher, students=[student], name="\uff1dHYPERLINK(1)")
    finished_session(klass, {student: "present"})

    body = signed_in(teacher).get(f"/app/classes/{klass.pk}/export.csv").content.decode()

    line = body.splitlines()[1]
    assert line.startswith('"\'\uff1dHYPERLINK(1)",')
    assert '"x;=1+1"' in line
    assert all(re.fullmatch(r'"[^"]*"(,"[^"]*")*', text) for text in body.splitlines())
    assert list(csv.reader(io.StringIO(body)))[1][3] == "x;=1+1"  # one cell, as written
