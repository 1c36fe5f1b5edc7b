"""The channel layer when Redis restarts or stops answering, on a real worker.

A handshake is always answered: a working socket, or ERROR and close 4013 ("try again"),
never HTTP 500 and never a wait without end. Sockets that stayed open through a Redis
restart hear their class and their own group again without reconnecting: the layer
re-subscribes every group of the process.
"""

import asyncio
import contextlib
import socket
import time

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from core.errors import Messages
from harness.seed import seed_class
from tests.realserver.wire import Socket, http

pytestmark = [pytest.mark.server, pytest.mark.redis]

RECOVERY_SECONDS = 30


async def try_socket(url: str, token: str) -> Socket | None:
    """Open a socket: the socket when it works, None when it was refused with ERROR and close 4013.

    Any other answer fails the test: an HTTP status instead of the upgrade (the 500 this
    guards against), another frame, another close code, or no answer within the client's
    timeouts.
    """
    try:
        opened = await Socket.open(url, token)
    except InvalidStatus as exc:
        raise AssertionError(f"the handshake was answered HTTP {exc.response.status_code}") from exc
    with contextlib.suppress(ConnectionClosed):  # already refused: its ERROR is still there to read
        await opened.send("PING")
    frame = await opened.recv()
    if frame == {"event": "PONG", "data": {}}:
        return opened
    assert frame == {"event": "ERROR", "data": {"message": Messages.WS_UNAVAILABLE}}, frame
    with pytest.raises(ConnectionClosed) as closed:
        await opened.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4013, closed.value
    return None


async def until_open(url: str, token: str) -> Socket:
    """Try handshakes until one works; each refused one must be a clean 4013."""
    deadline = time.monotonic() + RECOVERY_SECONDS
    while time.monotonic() < deadline:
        opened = await try_socket(url, token)
        if opened is not None:
            return opened
        await asyncio.sleep(0.2)
    raise AssertionError(f"no handshake worked within {RECOVERY_SECONDS}s after Redis returned")


async def until_heard(teacher: Socket, student: Socket, student_id: str) -> None:
    """Mark until the student's socket, open all along, hears it."""
    deadline = time.monotonic() + RECOVERY_SECONDS
    status = "absent"
    while time.monotonic() < deadline:
        status = "present" if status == "absent" else "absent"
        await teacher.send("ATTENDANCE_MARKED", {"studentId": student_id, "status": status})
        try:
            while True:
                frame = await student.recv(timeout=1.0)
                if frame["event"] == "ATTENDANCE_MARKED" and frame["data"]["status"] == status:
                    return
        except TimeoutError:
            continue
    raise AssertionError(f"the open socket heard no mark within {RECOVERY_SECONDS}s after Redis returned")


async def test_a_handshake_while_redis_is_down_is_closed_4013_never_a_500(server_factory, private_redis):
    worker = server_factory(redis_url=private_redis.url)
    seed = await asyncio.to_thread(seed_class, worker, 2)
    private_redis.kill()

    for person in (seed["teacher"], *seed["students"]):
        assert await try_socket(worker.ws, person["token"]) is None

    private_redis.start()  # same port, empty
    teacher = await until_open(worker.ws, seed["teacher"]["token"])
    student = await until_open(worker.ws, seed["students"][0]["token"])
    await teacher.send("ATTENDANCE_MARKED", {"studentId": seed["students"][0]["id"], "status": "present"})
    await student.expect("ATTENDANCE_MARKED", studentId=seed["students"][0]["id"], status="present")
    await teacher.close()
    await student.close()


async def test_open_sockets_hear_again_after_a_redis_restart_without_reconnecting(server_factory, private_redis):
    worker = server_factory(redis_url=private_redis.url)
    seed = await asyncio.to_thread(seed_class, worker, 3)
    students = seed["students"]
    teacher = await Socket.open(worker.ws, seed["teacher"]["token"])
    student = await Socket.open(worker.ws, students[0]["token"])
    await teacher.send("ATTENDANCE_MARKED", {"studentId": students[0]["id"], "status": "present"})
    await student.expect("ATTENDANCE_MARKED", studentId=students[0]["id"], status="present")

    private_redis.kill()
    private_redis.start()  # same port, empty: every subscription of the worker is gone

    # New handshakes at once: each a working socket or a clean 4013, never a 500.
    fresh = await until_open(worker.ws, students[1]["token"])
    # The sockets open all along hear their class again: the worker re-subscribed its groups.
    await until_heard(teacher, student, students[0]["id"])
    # And their own user group: signing the student out everywhere closes the open socket at once.
    status, _ = await asyncio.to_thread(http, worker.http, "POST", "/auth/logout-all", None, students[0]["token"])
    assert status == 200
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await student.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4001
    await fresh.close()
    await teacher.close()


@pytest.fixture
def silent_redis():
    """A Redis address that accepts connections and never answers, as in a network partition."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    listener.close()


async def test_a_handshake_while_redis_does_not_answer_is_closed_4013_not_left_hanging(server_factory, silent_redis):
    worker = server_factory(redis_url=silent_redis)
    seed = await asyncio.to_thread(seed_class, worker, 1, session=False)
    for person in (seed["teacher"], seed["students"][0]):
        assert await try_socket(worker.ws, person["token"]) is None
    # HTTP is not held up meanwhile.
    status, body = await asyncio.to_thread(http, worker.http, "GET", "/auth/me", None, seed["teacher"]["token"])
    assert status == 200 and body["data"]["role"] == "teacher"
