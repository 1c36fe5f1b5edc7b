"""Schemathesis against the published OpenAPI description, anonymous and with real tokens.

Every generated request (valid and deliberately invalid) is sent three times: without a
token, as a teacher and as an enrolled student; a second time with the path's and body's
ids replaced by ids that exist, so that the routes' success paths are fuzzed too. Every
answer must be a non-5xx, in the contract's envelope, and match the schema.
"""

import functools
import json

import jsonschema
import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import AcceptedNegativeData, FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import User
from attendance_project.wsgi import application
from tests.factories import make_class, make_student, make_teacher, token_for

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


@pytest.fixture(autouse=True)
def _one_connection():
    # As Django's test client does: requests must not close the test's connection (its transaction).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def world(db):
    """A teacher's class with one enrolled student, a student outside it, and another teacher's class."""
    teacher = make_teacher()
    enrolled, outsider = make_student(), make_student()
    klass = make_class(teacher=teacher, students=[enrolled])
    make_class(name="Other class")
    return {
        "tokens": {"anonymous": None, "teacher": token_for(teacher), "student": token_for(enrolled)},
        "users": {"teacher": teacher, "student": enrolled},
        "classId": str(klass.pk),
        "studentIds": [str(enrolled.pk), str(outsider.pk)],
    }


def assert_envelope(response) -> None:
    body = json.loads(response.content)
    assert isinstance(body, dict), body
    if body.get("success") is True:
        assert set(body) == {"success", "data"}, body
        assert 200 <= response.status_code < 300, (response.status_code, body)
    else:
        assert body.get("success") is False and set(body) == {"success", "error"}, body
        assert isinstance(body["error"], str) and body["error"], body
        assert response.status_code >= 400, (response.status_code, body)


@functools.cache
def document() -> dict:
    # Generated, not requested: Django's test client would reconnect close_old_connections.
    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))


def valid_once_trimmed(case) -> bool:
    """Whether the body is valid once its strings are trimmed, as the API trims them first.

    The schema's maxLength counts a leading or trailing space (or a control character that
    str.strip() removes, such as U+001E) that the API drops before it checks the length.
    """
    if not isinstance(case.body, dict):
        return False
    request_body = document()["paths"][case.operation.path][case.method.lower()].get("requestBody")
    if request_body is None:
        return False
    # The body's schema as the root, with the components its references point into.
    schema = {**request_body["content"]["application/json"]["schema"], "components": document()["components"]}
    trimmed = {key: value.strip() if isinstance(value, str) else value for key, value in case.body.items()}
    return trimmed != case.body and jsonschema.Draft7Validator(schema).is_valid(trimmed)


def fresh_token(world, who: str) -> str | None:
    """A token issued now: a fuzzed /auth/logout-all or /auth/password revokes the earlier ones."""
    user = world["users"].get(who)
    return token_for(User.objects.get(pk=user.pk)) if user else None


def call_everyone(case, world) -> None:
    for who in world["tokens"]:
        token = fresh_token(world, who)
        response = case.call(headers={"Authorization": token} if token else {})
        try:
            case.validate_response(response, checks=CHECKS)
        except FailureGroup as failures:
            accepted = all(isinstance(failure, AcceptedNegativeData) for failure in failures.exceptions)
            if not (accepted and valid_once_trimmed(case)):
                raise
        assert_envelope(response)
        sent = response.request.headers.get("Authorization")
        if token is not None and sent == token and case.operation.definition.raw.get("security"):
            assert response.status_code != 401, (who, response.content)


def with_real_ids(case, world) -> bool:
    """Point a valid case at objects that exist; tell whether anything changed."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return False  # an invalid case stays exactly as generated
    changed = False
    if case.path_parameters and "class_id" in case.path_parameters:
        case.path_parameters["class_id"] = world["classId"]
        changed = True
    if isinstance(case.body, dict):
        if "classId" in case.body:
            case.body["classId"] = world["classId"]
            changed = True
        if "studentId" in case.body:
            case.body["studentId"] = world["studentIds"][len(str(case.body["studentId"])) % 2]
            changed = True
    return changed


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_answer_is_an_envelope_that_matches_the_schema(case, world):
    call_everyone(case, world)
    if with_real_ids(case, world):
        call_everyone(case, world)


@pytest.mark.parametrize(
    ("path", "component", "field"),
    [
        ("/attendance/start", "StartInRequest", "classId"),
        ("/class/{class_id}/add-student", "AddStudentInRequest", "studentId"),
    ],
)
def test_the_schema_admits_the_numeric_ids_the_api_accepts(world, path, component, field):
    ids = {"classId": int(world["classId"]), "studentId": int(world["studentIds"][1])}
    client = Client(HTTP_AUTHORIZATION=world["tokens"]["teacher"])
    response = client.post(
        path.replace("{class_id}", world["classId"]), {field: ids[field]}, content_type="application/json"
    )
    assert response.status_code == 200, response.content  # accepted...
    document = json.loads(client.get("/api/schema/?format=json").content)
    jsonschema.validate({field: ids[field]}, document["components"]["schemas"][component])  # ...so documented
