"""The deployed topology: Caddy in front of two workers, driven only through the proxy."""

import asyncio
import uuid

import pytest
from websockets.exceptions import ConnectionClosed

from attendance_project.stack import Stack, free_port
from tests.realserver.wire import Socket, http
from tests.services import require_caddy, require_redis

pytestmark = [pytest.mark.server, pytest.mark.redis]


@pytest.fixture
def stack(tmp_path):
    require_caddy()
    env = {
        "REDIS_URL": require_redis(),
        "CHANNEL_LAYER_PREFIX": "stack" + uuid.uuid4().hex[:12],
        # The stack's own SQLite file, whatever database this test run uses.
        "DATABASE_URL": "",
        "MONGO_URI": "",
        "SQLITE_PATH": str(tmp_path / "db.sqlite3"),
        "TESTING": "0",
        "LOG_LEVEL": "WARNING",
    }
    running = Stack(workers=2, port=free_port(), state_dir=tmp_path, env=env).start()
    yield running
    running.stop()


async def closed_sockets(sockets: list[Socket], timeout: float) -> list[bool]:
    """Wait until one of the sockets closes (or the timeout), then a second more; say which closed."""
    waits = [asyncio.ensure_future(socket.connection.wait_closed()) for socket in sockets]
    await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    await asyncio.sleep(1)
    for wait in waits:
        wait.cancel()
    return [wait.done() and not wait.cancelled() for wait in waits]


async def test_teacher_and_student_on_different_workers_through_the_proxy(stack):
    def call(*args, **kwargs):
        return asyncio.to_thread(http, stack.url, *args, **kwargs)

    assert await call("GET", "/healthz") == (200, {"success": True, "data": {"status": "ok"}})
    assert await call("GET", "/no-such-route") == (404, {"success": False, "error": "Not found"})

    async def join(name: str, role: str) -> tuple[str, str]:
        email = f"{name.lower()}@school.test"
        status, body = await call(
            "POST", "/auth/signup", {"name": name, "email": email, "password": "secret1", "role": role}
        )
        assert status == 201, body
        _, login = await call("POST", "/auth/login", {"email": email, "password": "secret1"})
        return body["data"]["_id"], login["data"]["token"]

    _, teacher_token = await join("Tess", "teacher")
    student_id, student_token = await join("Sam", "student")
    _, body = await call("POST", "/class", {"className": "Biology"}, token=teacher_token)
    class_id = body["data"]["_id"]
    await call("POST", f"/class/{class_id}/add-student", {"studentId": student_id}, token=teacher_token)
    status, _ = await call("POST", "/attendance/start", {"classId": class_id}, token=teacher_token)
    assert status == 200

    ws = stack.url.replace("http", "ws", 1) + "/ws"
    # least_conn: with the teacher's socket open on one worker, the student's goes to the other.
    teacher = await Socket.open(ws, teacher_token)
    student = await Socket.open(ws, student_token)

    await teacher.send("ATTENDANCE_MARKED", {"studentId": student_id, "status": "present"})
    await teacher.expect("ATTENDANCE_MARKED", studentId=student_id, status="present")
    await student.expect("ATTENDANCE_MARKED", studentId=student_id, status="present")
    await teacher.send("DONE")
    await teacher.expect("DONE", message="Attendance persisted", present=1, absent=0, total=1)
    await student.expect("DONE", present=1, absent=0, total=1)

    status, body = await call("GET", f"/class/{class_id}/my-attendance", token=student_token)
    assert (status, body) == (200, {"success": True, "data": {"classId": class_id, "status": "present"}})

    # Proof that the two sockets were on different workers: a crash of worker 0 closes exactly one.
    await asyncio.to_thread(stack.stop_worker, 0)
    assert (await closed_sockets([teacher, student], timeout=10)).count(True) == 1
    survivor, lost = (student, teacher) if teacher.connection.state.name == "CLOSED" else (teacher, student)
    await survivor.send("TODAY_SUMMARY" if survivor is teacher else "MY_ATTENDANCE")
    frame = await survivor.recv()
    assert frame["event"] in {"TODAY_SUMMARY", "MY_ATTENDANCE", "ERROR"}, frame
    with pytest.raises(ConnectionClosed):
        await lost.recv(timeout=1)
    await survivor.close()
