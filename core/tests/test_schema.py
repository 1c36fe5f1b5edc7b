"""The OpenAPI description: valid, complete, and honest about every error a route returns."""

import pytest
import yaml
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from core.errors import Messages

pytestmark = pytest.mark.django_db

M = Messages
# Every contract route with the status codes and messages a client must be told about.
CONTRACT = {
    ("/auth/signup", "post"): {"201": [], "400": [M.INVALID_SCHEMA, M.EMAIL_EXISTS]},
    ("/auth/login", "post"): {"200": [], "400": [M.INVALID_SCHEMA, M.INVALID_LOGIN], "429": [M.TOO_MANY_LOGINS]},
    ("/auth/refresh", "post"): {"200": [], "400": [M.INVALID_SCHEMA], "401": [M.UNAUTHORIZED]},
    ("/auth/me", "get"): {"200": [], "401": [M.UNAUTHORIZED]},
    ("/class", "post"): {
        "201": [],
        "400": [M.INVALID_SCHEMA],
        "401": [M.UNAUTHORIZED],
        "403": [M.TEACHER_REQUIRED],
    },
    ("/class/{class_id}/add-student", "post"): {
        "200": [],
        "400": [M.INVALID_SCHEMA],
        "401": [M.UNAUTHORIZED],
        "403": [M.TEACHER_REQUIRED, M.NOT_CLASS_TEACHER],
        "404": [M.CLASS_NOT_FOUND, M.STUDENT_NOT_FOUND],
    },
    ("/class/{class_id}", "get"): {
        "200": [],
        "401": [M.UNAUTHORIZED],
        "403": [M.NOT_CLASS_TEACHER],
        "404": [M.CLASS_NOT_FOUND],
    },
    ("/students", "get"): {"200": [], "401": [M.UNAUTHORIZED], "403": [M.TEACHER_REQUIRED]},
    ("/class/{class_id}/my-attendance", "get"): {
        "200": [],
        "401": [M.UNAUTHORIZED],
        "403": [M.STUDENT_REQUIRED, M.NOT_ENROLLED],
        "404": [M.CLASS_NOT_FOUND],
    },
    ("/attendance/start", "post"): {
        "200": [],
        "400": [M.INVALID_SCHEMA],
        "401": [M.UNAUTHORIZED],
        "403": [M.TEACHER_REQUIRED, M.NOT_CLASS_TEACHER],
        "404": [M.CLASS_NOT_FOUND],
    },
}
PUBLIC = {("/auth/signup", "post"), ("/auth/login", "post"), ("/auth/refresh", "post")}


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_schema_is_served_as_yaml_and_is_valid_openapi(schema):
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")


def test_schema_is_served_as_json_on_request(api):
    response = api.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    document = response.json()
    validate_schema(document)
    assert set(CONTRACT) <= {(path, method) for path, item in document["paths"].items() for method in item}


def test_schema_lists_every_contract_route(schema):
    listed = {(path, method) for path, item in schema["paths"].items() for method in item}

    assert set(CONTRACT) <= listed


@pytest.mark.parametrize(("path", "method"), sorted(CONTRACT))
def test_every_route_documents_its_status_codes_and_exact_error_messages(schema, path, method):
    responses = schema["paths"][path][method]["responses"]

    assert set(CONTRACT[(path, method)]) <= set(responses)
    for status, messages in CONTRACT[(path, method)].items():
        if status.startswith("2"):
            continue
        described = responses[status]
        assert described["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorEnvelope")
        for message in messages:
            assert f"`{message}`" in described["description"], (path, method, status, message)


@pytest.mark.parametrize(("path", "method"), sorted(CONTRACT))
def test_protected_routes_declare_the_jwt_header_and_public_ones_do_not(schema, path, method):
    security = schema["paths"][path][method].get("security")

    if (path, method) in PUBLIC:
        assert not security or security == [{}]
    else:
        assert security == [{"jwt": []}]


def test_jwt_scheme_is_the_authorization_header(schema):
    assert schema["components"]["securitySchemes"]["jwt"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "The JWT from POST /auth/login, raw or as `Bearer <JWT>`.",
    }


def test_success_bodies_are_described_as_the_envelope(schema):
    components = schema["components"]["schemas"]
    for path, method in CONTRACT:
        for status, described in schema["paths"][path][method]["responses"].items():
            if not status.startswith("2"):
                continue
            name = described["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
            assert set(components[name]["properties"]) == {"success", "data"}, (path, method)


def test_signup_response_documents_no_password(schema):
    components = schema["components"]["schemas"]
    ref = schema["paths"]["/auth/signup"]["post"]["responses"]["201"]["content"]["application/json"]["schema"]["$ref"]
    data = components[ref.rsplit("/", 1)[-1]]["properties"]["data"]
    user = components[data["$ref"].rsplit("/", 1)[-1]] if "$ref" in data else data

    assert set(user["properties"]) == {"_id", "name", "email", "role"}


def test_docs_page_is_html(api):
    response = api.get("/api/docs/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b"swagger" in response.content.lower()
