"""Misbehaving WebSocket clients against the real server: huge frames, floods, tokenless swarms.

Each test checks what the misbehaving client gets, and that the teacher and students
of the class, connected all along, keep working.
"""

import asyncio
import contextlib
import json

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from core.errors import Messages
from harness.seed import seed_class
from live.protocol import CLOSE_TOO_BIG
from tests.realserver.wire import TIMEOUT, Socket, http

pytestmark = pytest.mark.server


async def read_until_closed(socket: Socket, quiet: float = 5.0) -> tuple[list[dict], int | None]:
    """Read frames until the server closes the connection; return them and the close code it sent."""
    frames = []
    try:
        while True:
            frames.append(await socket.recv(timeout=quiet))
    except ConnectionClosed as closed:
        return frames, closed.rcvd.code if closed.rcvd else None
    except TimeoutError:
        raise AssertionError(
            f"the server left the connection open ({len(frames)} frames, then {quiet}s quiet)"
        ) from None


async def class_still_works(server, seed: dict, teacher: Socket, student: Socket, status: str) -> None:
    """A mark reaches the class and is read back; the HTTP side answers too."""
    target = seed["students"][0]["id"]
    await teacher.send("ATTENDANCE_MARKED", {"studentId": target, "status": status})
    await teacher.expect("ATTENDANCE_MARKED", studentId=target, status=status)
    await student.expect("ATTENDANCE_MARKED", studentId=target, status=status)
    await student.send("MY_ATTENDANCE")
    await student.expect("MY_ATTENDANCE", status=status)
    code, body = await asyncio.to_thread(
        http, server.http, "GET", f"/class/{seed['classId']}", token=seed["teacher"]["token"]
    )
    assert code == 200 and len(body["data"]["students"]) == len(seed["students"])


async def open_class(server, students: int = 3):
    seed = await asyncio.to_thread(seed_class, server, students)
    teacher = await Socket.open(server.ws, seed["teacher"]["token"])
    student = await Socket.open(server.ws, seed["students"][0]["token"])
    return seed, teacher, student


async def test_oversized_frames_close_only_the_sender(server_factory):
    server = server_factory()
    seed, teacher, student = await open_class(server)
    # Over the application's limit (64 KiB): the contract's ERROR, then close 4009.
    big = await Socket.open(server.ws, seed["students"][1]["token"])
    await big.connection.send(json.dumps({"event": "MY_ATTENDANCE", "data": {"pad": "x" * 100_000}}))
    frames, code = await read_until_closed(big)
    assert (frames, code) == ([{"event": "ERROR", "data": {"message": Messages.WS_TOO_LARGE}}], CLOSE_TOO_BIG)
    # Over Daphne's own limit (1 MiB): the connection is dropped before the application reads it.
    huge = await Socket.open(server.ws, seed["students"][2]["token"])
    with contextlib.suppress(ConnectionClosed):  # the server may drop it before the last byte is sent
        await huge.connection.send("x" * (2 * 1024 * 1024))
    frames, _code = await read_until_closed(huge)
    assert frames == []

    await class_still_works(server, seed, teacher, student, "present")
    await teacher.close()
    await student.close()
    assert "Traceback" not in server.log()


async def test_a_flooding_socket_is_told_to_slow_down_then_closed(server_factory):
    server = server_factory()
    seed, teacher, student = await open_class(server)
    flooder = await Socket.open(server.ws, seed["students"][1]["token"])

    async def flood() -> int:
        sent = 0
        try:
            for _ in range(2_000):
                await flooder.connection.send('{"event":"MY_ATTENDANCE"}')
                sent += 1
        except ConnectionClosed:
            pass
        return sent

    sent = await flood()
    frames, code = await read_until_closed(flooder)
    answers = [frame["data"]["message"] if frame["event"] == "ERROR" else frame["event"] for frame in frames]
    assert code == 4008, (code, sent, answers[-3:])
    # Answered like anyone else within the rate, told to slow down once, then closed.
    assert answers.count(Messages.WS_RATE_LIMITED) == 1
    assert set(answers) == {"MY_ATTENDANCE", Messages.WS_RATE_LIMITED} and len(answers) < sent

    await class_still_works(server, seed, teacher, student, "absent")
    await teacher.close()
    await student.close()


async def test_five_hundred_tokenless_sockets_are_each_refused_and_the_class_keeps_working(server_factory):
    server = server_factory()
    seed, teacher, student = await open_class(server)
    gate = asyncio.Semaphore(100)

    async def tokenless(index: int) -> tuple[dict, int | None]:
        url = server.ws if index % 2 else f"{server.ws}?token=not.a.token"
        async with gate, connect(url, open_timeout=TIMEOUT) as connection:
            first = json.loads(await asyncio.wait_for(connection.recv(), TIMEOUT))
            try:
                await asyncio.wait_for(connection.recv(), TIMEOUT)
            except ConnectionClosed as closed:
                return first, closed.rcvd.code if closed.rcvd else None
            return first, None

    results = await asyncio.gather(*(tokenless(i) for i in range(500)))
    refusal = {"event": "ERROR", "data": {"message": Messages.WS_UNAUTHORIZED}}
    assert [first for first, _ in results] == [refusal] * 500
    assert {code for _, code in results} == {4008}

    await class_still_works(server, seed, teacher, student, "present")
    await teacher.close()
    await student.close()
