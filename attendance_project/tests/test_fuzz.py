"""Requests generated from the OpenAPI schema, valid and invalid: no input ever makes a 500,
and every answer is in the contract's envelope."""

import json
from urllib.parse import urlencode

import pytest
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from rest_framework.test import APIClient
from schemathesis.core import NOT_SET

from tests import factories

pytestmark = pytest.mark.django_db


def _schema() -> dict:
    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document))


schema = schemathesis.openapi.from_dict(_schema())


def send(case, token: str):
    """Send a generated case through Django's test client (which keeps the test database open)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=token)
    path = case.formatted_path
    if case.query:
        path += "?" + urlencode(case.query, doseq=True)
    if case.body is NOT_SET or case.method.upper() == "GET":
        return client.generic(case.method, path)
    payload = case.body if isinstance(case.body, (bytes, str)) else json.dumps(case.body)
    return client.generic(case.method, path, payload, content_type=case.media_type or "application/json")


@schema.parametrize()
@settings(max_examples=15, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_generated_requests_never_crash_and_stay_in_the_envelope(case, teacher, student):
    klass = factories.make_class(teacher=teacher, students=[student])
    if "class_id" in (case.path_parameters or {}):
        # Half the time aim at a real class, so that the deeper checks run too.
        case.path_parameters["class_id"] = str(klass.pk) if len(str(case.path_parameters)) % 2 else "x"

    response = send(case, factories.token_for(teacher))

    assert response.status_code < 500, (case.method, case.formatted_path, case.body, response.content)
    if case.method.upper() == "HEAD":
        return  # no body by definition
    body = response.json()
    assert isinstance(body, dict)
    assert isinstance(body.get("success"), bool)
    if body["success"]:
        assert set(body) == {"success", "data"}
    else:
        assert set(body) == {"success", "error"}
        assert isinstance(body["error"], str)
