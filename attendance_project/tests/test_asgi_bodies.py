"""Bodies as the real server receives them over ASGI: with or without Content-Length."""

import json

import pytest
from channels.testing import HttpCommunicator

from attendance_project.asgi import application
from core.errors import Messages

pytestmark = pytest.mark.django_db(transaction=True)


async def post(path: str, body: bytes, *, content_length: bool) -> tuple[int, dict]:
    headers = [(b"host", b"localhost"), (b"content-type", b"application/json")]
    if content_length:
        headers.append((b"content-length", str(len(body)).encode()))
    communicator = HttpCommunicator(application, "POST", path, body=body, headers=headers)
    response = await communicator.get_response(timeout=10)
    return response["status"], json.loads(response["body"])


SIGNUP = {"name": "Ada", "email": "ada@school.test", "password": "secret1", "role": "teacher"}


async def test_signup_with_content_length_over_asgi():
    status, body = await post("/auth/signup", json.dumps(SIGNUP).encode(), content_length=True)

    assert status == 201
    assert body["data"]["email"] == "ada@school.test"


async def test_signup_with_a_chunked_body_without_content_length_is_read():
    status, body = await post("/auth/signup", json.dumps(SIGNUP).encode(), content_length=False)

    assert status == 201, body
    assert body["data"]["email"] == "ada@school.test"


async def test_chunked_body_over_one_mebibyte_is_413():
    payload = json.dumps({**SIGNUP, "name": "x" * (1024 * 1024)}).encode()

    status, body = await post("/auth/signup", payload, content_length=False)

    assert (status, body) == (413, {"success": False, "error": Messages.BODY_TOO_LARGE})


async def test_declared_body_over_one_mebibyte_is_413():
    payload = json.dumps({**SIGNUP, "name": "x" * (1024 * 1024)}).encode()

    status, body = await post("/auth/signup", payload, content_length=True)

    assert (status, body) == (413, {"success": False, "error": Messages.BODY_TOO_LARGE})


async def test_understated_content_length_cannot_smuggle_a_big_body():
    payload = json.dumps({**SIGNUP, "name": "x" * (1024 * 1024)}).encode()
    headers = [(b"host", b"localhost"), (b"content-type", b"application/json"), (b"content-length", b"10")]
    communicator = HttpCommunicator(application, "POST", "/auth/signup", body=payload, headers=headers)

    response = await communicator.get_response(timeout=10)

    assert response["status"] == 413
    assert json.loads(response["body"]) == {"success": False, "error": Messages.BODY_TOO_LARGE}


async def test_a_host_the_server_does_not_serve_gets_the_envelope_on_api_paths():
    communicator = HttpCommunicator(application, "GET", "/students", headers=[(b"host", b"evil.example")])

    response = await communicator.get_response(timeout=10)

    assert response["status"] == 400
    assert json.loads(response["body"]) == {"success": False, "error": Messages.BAD_REQUEST}
