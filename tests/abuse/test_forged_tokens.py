"""Forged, expired and orphaned tokens against the real server, over HTTP and on `/ws`.

Every token below is refused the same way everywhere: HTTP answers 401 in the envelope,
and the socket gets the contract's ERROR and is closed, before any class data moves.
The valid token each one is derived from is accepted, so each refusal is about the one
thing that was changed.
"""

import asyncio
import base64
import json
import sqlite3
import time

import jwt
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from core.errors import Messages
from harness.seed import seed_class
from tests.realserver.wire import TIMEOUT, Socket, http

pytestmark = [
    pytest.mark.server,
    pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning"),  # the forged HS512 token
]


def b64(part: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()


def forgeries(seed: dict, secret: str) -> dict[str, str]:
    """Tokens an attacker can make from a student's real token (and a teacher's id)."""
    real = seed["students"][0]["token"]
    header, _, signature = real.split(".")
    claims = jwt.decode(real, secret, algorithms=["HS256"])
    now = int(time.time())
    return {
        "alg none": f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}.",
        "alg none, no dot": f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}",
        "wrong key": jwt.encode(claims, "another-secret-of-a-perfectly-decent-length"),
        "right key, HS512": jwt.encode(claims, secret, algorithm="HS512"),
        "role tampered": f"{header}.{b64({**claims, 'role': 'teacher'})}.{signature}",
        "userId tampered to the teacher": f"{header}.{b64({**claims, 'userId': seed['teacher']['id']})}.{signature}",
        "expired": jwt.encode({**claims, "iat": now - 7200, "exp": now - 3600}, secret),
        "refresh type": jwt.encode({**claims, "token_type": "refresh"}, secret),
        "no expiry": jwt.encode({k: v for k, v in claims.items() if k != "exp"}, secret),
    }


def set_user(server, user_id: str, sql: str) -> None:
    """Change a user row behind the server's back, as an administrator would."""
    with sqlite3.connect(server.database, timeout=20) as db:
        db.execute(sql, (int(user_id),))


async def refused_on_the_socket(server, token: str) -> None:
    async with connect(f"{server.ws}?token={token}", open_timeout=TIMEOUT) as connection:
        first = json.loads(await asyncio.wait_for(connection.recv(), TIMEOUT))
        assert first == {"event": "ERROR", "data": {"message": Messages.WS_UNAUTHORIZED}}
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(connection.recv(), TIMEOUT)


async def refused_everywhere(server, token: str, class_id: str) -> None:
    unauthorized = {"success": False, "error": Messages.UNAUTHORIZED}
    for method, path, body in (
        ("GET", "/auth/me", None),
        ("GET", f"/class/{class_id}", None),
        ("POST", "/class", {"className": "Forged"}),
        ("GET", "/students", None),
    ):
        for header in (token, f"Bearer {token}"):
            assert await asyncio.to_thread(http, server.http, method, path, body, header) == (401, unauthorized), path
    await refused_on_the_socket(server, token)


async def test_forged_expired_and_orphaned_tokens_are_refused_on_http_and_ws(server_factory):
    server = server_factory()
    seed = await asyncio.to_thread(seed_class, server, 3)
    class_id, secret = seed["classId"], server.env["JWT_SECRET"]
    classmate = await Socket.open(server.ws, seed["students"][2]["token"])

    # The originals work: the student reads the class, and so does its socket.
    status, _ = await asyncio.to_thread(
        http, server.http, "GET", f"/class/{class_id}", token=seed["students"][0]["token"]
    )
    assert status == 200
    for name, token in forgeries(seed, secret).items():
        try:
            await refused_everywhere(server, token, class_id)
        except AssertionError as failure:
            raise AssertionError(f"{name}: {failure}") from failure

    deleted, deactivated = seed["students"][0], seed["students"][1]
    await asyncio.to_thread(set_user, server, deleted["id"], "DELETE FROM accounts_user WHERE id = ?")
    await asyncio.to_thread(set_user, server, deactivated["id"], "UPDATE accounts_user SET is_active = 0 WHERE id = ?")
    await refused_everywhere(server, deleted["token"], class_id)
    await refused_everywhere(server, deactivated["token"], class_id)

    # Nothing of the class reached anyone through the refused sockets, and the class still works.
    await classmate.nothing()
    teacher = await Socket.open(server.ws, seed["teacher"]["token"])
    await teacher.send("ATTENDANCE_MARKED", {"studentId": seed["students"][2]["id"], "status": "present"})
    await classmate.expect("ATTENDANCE_MARKED", studentId=seed["students"][2]["id"], status="present")
    await teacher.close()
    await classmate.close()
