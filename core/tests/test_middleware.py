"""Every API response keeps the `{success, error}` envelope: unknown routes, wrong methods,
unparseable and oversized bodies, and crashes that nobody expected."""

import json
import logging
from unittest import mock

import pytest
from rest_framework.test import APIClient

from core.errors import Messages
from core.middleware import is_page_path
from tests import factories

pytestmark = pytest.mark.django_db


def assert_error(response, status: int, message: str) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"success": False, "error": message}


# --- unknown routes and wrong methods --------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/nope"),
        ("GET", "/auth"),
        ("POST", "/auth/nope"),
        ("POST", "/auth/signup/"),
        ("GET", "/auth/me/"),
        ("GET", "/class/"),
        ("GET", "/class/1/add-student/extra"),
        ("GET", "/classes"),
        ("DELETE", "/nothing/here"),
        ("GET", "/api"),
        ("GET", "/ws"),
    ],
)
def test_unknown_route_is_404_in_the_envelope(api, method, path):
    assert_error(api.generic(method, path), 404, Messages.NOT_FOUND)


def test_unknown_route_with_a_token_is_404_in_the_envelope(auth, teacher):
    assert_error(auth(teacher).get("/does-not-exist"), 404, Messages.NOT_FOUND)


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/auth/signup", "POST"),
        ("PUT", "/auth/signup", "POST"),
        ("GET", "/auth/login", "POST"),
        ("DELETE", "/auth/login", "POST"),
        ("GET", "/auth/refresh", "POST"),
    ],
)
def test_wrong_method_on_a_public_route_is_405_with_allow(api, method, path, allowed):
    response = api.generic(method, path)

    assert_error(response, 405, Messages.METHOD_NOT_ALLOWED)
    assert allowed in response["Allow"]


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/auth/me"), ("PUT", "/class/1"), ("POST", "/class/1"), ("PUT", "/attendance/start")],
)
def test_wrong_method_on_a_protected_route_is_405_for_a_signed_in_user(auth, teacher, method, path):
    assert_error(auth(teacher).generic(method, path), 405, Messages.METHOD_NOT_ALLOWED)


@pytest.mark.parametrize("path", ["/auth/signup", "/auth/login", "/auth/refresh"])
def test_options_on_a_public_route_is_405_in_the_envelope(api, path):
    response = api.options(path)

    assert_error(response, 405, Messages.METHOD_NOT_ALLOWED)
    assert "POST" in response["Allow"]


@pytest.mark.parametrize("path", ["/auth/me", "/class", "/class/1", "/students", "/attendance/start"])
def test_options_on_a_protected_route_is_in_the_envelope(api, auth, teacher, path):
    assert_error(api.options(path), 401, Messages.UNAUTHORIZED)
    assert_error(auth(teacher).options(path), 405, Messages.METHOD_NOT_ALLOWED)


def test_healthz_answers_in_the_envelope(api):
    response = api.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"success": True, "data": {"status": "ok"}}


# --- bodies ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    ["{", "{bad json}", '{"name": }', "\xff\xfe", "NaN garbage", '{"a": 1}{"b": 2}'],
    ids=repr,
)
def test_unparseable_body_is_400_in_the_envelope(api, raw):
    response = api.generic("POST", "/auth/signup", raw.encode("latin-1"), content_type="application/json")

    assert_error(response, 400, Messages.INVALID_SCHEMA)


@pytest.mark.parametrize(
    "raw",
    ["[" * 100_000 + "]" * 100_000, '{"a":' * 50_000 + "1" + "}" * 50_000],
    ids=["deep-array", "deep-object"],
)
@pytest.mark.parametrize("path", ["/auth/signup", "/auth/login", "/auth/refresh"])
def test_body_nested_too_deep_to_decode_is_400_not_500(api, path, raw):
    assert_error(api.generic("POST", path, raw, content_type="application/json"), 400, Messages.INVALID_SCHEMA)


@pytest.mark.parametrize("path", ["/class", "/attendance/start", "/class/1/add-student"])
def test_body_nested_too_deep_is_400_for_a_teacher(auth, teacher, path):
    raw = '{"className":' * 60_000 + '"x"' + "}" * 60_000

    assert_error(
        auth(teacher).generic("POST", path, raw, content_type="application/json"), 400, Messages.INVALID_SCHEMA
    )


def test_wrong_content_type_is_400_in_the_envelope(api):
    response = api.generic("POST", "/auth/login", "email=a&password=b", content_type="text/plain")

    assert_error(response, 400, Messages.INVALID_SCHEMA)


def test_body_over_one_mebibyte_is_413_before_authentication(api):
    body = json.dumps({"className": "x" * (1024 * 1024)})

    assert_error(api.generic("POST", "/class", body, content_type="application/json"), 413, Messages.BODY_TOO_LARGE)


def test_body_over_one_mebibyte_is_413_for_a_teacher(auth, teacher):
    body = json.dumps({"className": "x" * (1024 * 1024)})

    response = auth(teacher).generic("POST", "/class", body, content_type="application/json")

    assert_error(response, 413, Messages.BODY_TOO_LARGE)


def test_body_over_the_limit_on_an_unknown_route_is_413(api):
    response = api.generic("POST", "/nope", "x" * (1024 * 1024 + 1), content_type="application/json")

    assert_error(response, 413, Messages.BODY_TOO_LARGE)


def test_content_length_that_is_not_a_number_is_400(api):
    response = api.generic("POST", "/auth/login", "{}", content_type="application/json", CONTENT_LENGTH="abc")

    assert_error(response, 400, Messages.INVALID_SCHEMA)


@pytest.mark.parametrize("length", ["-1", "-99999999", " ", "1e3", "0x10"])
def test_malformed_content_length_is_400_even_for_a_valid_login(api, student, length):
    body = json.dumps({"email": student.email, "password": factories.PASSWORD})

    response = api.generic("POST", "/auth/login", body, content_type="application/json", CONTENT_LENGTH=length)

    assert_error(response, 400, Messages.INVALID_SCHEMA)


# --- unexpected errors ----------------------------------------------------------------------


def test_unexpected_error_in_a_selector_is_500_with_no_details_and_a_logged_traceback(auth, teacher, caplog):
    with (
        mock.patch("classes.selectors.students_all", side_effect=RuntimeError("database on fire: secret")),
        caplog.at_level(logging.ERROR, logger="attendance.api"),
    ):
        response = auth(teacher).get("/students")

    assert_error(response, 500, Messages.INTERNAL)
    assert b"secret" not in response.content
    assert b"Traceback" not in response.content
    errors = [r for r in caplog.records if r.name == "attendance.api" and r.levelno >= logging.ERROR]
    assert errors
    assert errors[-1].exc_info is not None
    assert "database on fire" in caplog.text


def test_unexpected_error_in_a_service_is_500_and_nothing_is_written(auth, teacher, caplog):
    from classes.models import Class

    with (
        mock.patch("classes.services.class_create", side_effect=RuntimeError("boom")),
        caplog.at_level(logging.ERROR, logger="attendance.api"),
    ):
        response = auth(teacher).post("/class", {"className": "Maths"}, format="json")

    assert_error(response, 500, Messages.INTERNAL)
    assert not Class.objects.exists()
    assert "boom" in caplog.text


def test_unexpected_error_in_authentication_is_500_in_the_envelope(student, caplog):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=factories.token_for(student))

    with mock.patch("accounts.authentication.user_from_token", side_effect=RuntimeError("auth exploded")):
        response = client.get("/auth/me")

    assert_error(response, 500, Messages.INTERNAL)
    assert "auth exploded" in caplog.text


@pytest.mark.urls("attendance_project.tests.urls_crash")
def test_crash_in_a_plain_django_view_is_500_in_the_envelope(caplog):
    with caplog.at_level(logging.ERROR, logger="attendance.api"):
        response = APIClient().get("/crash/plain")

    assert_error(response, 500, Messages.INTERNAL)
    assert b"secret detail" not in response.content
    logged = [r for r in caplog.records if r.name == "attendance.api"]
    assert logged
    assert logged[-1].exc_info is not None
    assert "secret detail from a plain view" in caplog.text


@pytest.mark.urls("attendance_project.tests.urls_crash")
def test_crash_in_an_api_view_is_500_in_the_envelope(caplog):
    with caplog.at_level(logging.ERROR, logger="attendance.api"):
        response = APIClient().get("/crash/api")

    assert_error(response, 500, Messages.INTERNAL)
    assert b"secret detail" not in response.content
    assert "secret detail from an API view" in caplog.text


# --- errors raised by Django's own layers, before any view -----------------------------------


@pytest.mark.parametrize("path", ["/students", "/auth/login", "/nope"])
def test_disallowed_host_is_400_in_the_envelope(api, path):
    response = api.get(path, HTTP_HOST="evil.example")

    assert_error(response, 400, Messages.BAD_REQUEST)


def test_disallowed_host_on_a_page_stays_html():
    response = APIClient().get("/admin/login/", HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert not response["Content-Type"].startswith("application/json")


# --- pages keep their HTML ------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/admin/", "/admin/login/", "/app/", "/static/x.css", "/api/docs/"])
def test_page_paths_are_not_api_paths(path):
    assert is_page_path(path)


@pytest.mark.parametrize("path", ["/auth/login", "/class/1", "/students", "/attendance/start", "/api/schema/", "/nope"])
def test_api_paths_are_not_page_paths(path):
    assert not is_page_path(path)


def test_unknown_admin_page_is_not_turned_into_json():
    response = APIClient().get("/admin/nope/")

    assert not response["Content-Type"].startswith("application/json")
