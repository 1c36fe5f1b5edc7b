"""The database refuses the DONE write: the teacher is told, the session stays, DONE again works.

Another process holds the SQLite file with `BEGIN EXCLUSIVE` for longer than the
server's busy timeout, so the end-of-session write fails for real (not a patched call:
that is live/tests/test_consumers.py).
"""

import asyncio
import subprocess
import sys
import time

import pytest

from core.errors import Messages
from harness.seed import seed_class
from tests.realserver.wire import Socket, http

# Dominated by SQLite's busy timeout (20 s in settings) that the DONE write waits out.
pytestmark = [pytest.mark.server, pytest.mark.faults]

LOCKER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
db.execute("ROLLBACK")
"""


class DatabaseLock:
    """Another process holding the write lock of a SQLite file until released."""

    def __init__(self, path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", LOCKER, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout.readline().strip() == "locked"

    def release(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.write("\n")
            self.proc.stdin.flush()
            self.proc.wait(10)


async def test_done_while_the_database_is_locked_keeps_the_session_and_a_later_done_succeeds(server_factory):
    # SQLITE_TIMEOUT shortens the busy timeout where settings read it; the test holds on either way.
    server = server_factory(SQLITE_TIMEOUT="2")
    seed = await asyncio.to_thread(seed_class, server, 4)
    students = seed["students"]
    teacher = await Socket.open(server.ws, seed["teacher"]["token"])
    pupil = await Socket.open(server.ws, students[0]["token"])
    await teacher.send("ATTENDANCE_MARKED", {"studentId": students[0]["id"], "status": "present"})
    await pupil.expect("ATTENDANCE_MARKED", studentId=students[0]["id"])
    await teacher.expect("ATTENDANCE_MARKED", studentId=students[0]["id"])

    lock = await asyncio.to_thread(DatabaseLock, server.database)
    try:
        await teacher.send("DONE")
        asked = time.monotonic()
        refusal = await teacher.recv(timeout=90)
        done_failed_after = time.monotonic() - asked
    finally:
        await asyncio.to_thread(lock.release)
    assert refusal == {"event": "ERROR", "data": {"message": Messages.WS_PERSIST_FAILED}}
    await pupil.nothing(0.5)  # no DONE reached the class

    # The session is still running: marking goes on, then DONE persists everyone once.
    status, body = await asyncio.to_thread(
        http, server.http, "GET", f"/class/{seed['classId']}/my-attendance", token=students[0]["token"]
    )
    assert (status, body["data"]["status"]) == (200, None)
    await teacher.send("ATTENDANCE_MARKED", {"studentId": students[1]["id"], "status": "present"})
    await teacher.expect("ATTENDANCE_MARKED", studentId=students[1]["id"])
    await pupil.expect("ATTENDANCE_MARKED", studentId=students[1]["id"])
    await teacher.send("DONE")
    await teacher.expect("DONE", message="Attendance persisted", present=2, absent=2, total=4)
    await pupil.expect("DONE", present=2, absent=2, total=4)
    for student, expected in ((students[0], "present"), (students[1], "present"), (students[3], "absent")):
        status, body = await asyncio.to_thread(
            http, server.http, "GET", f"/class/{seed['classId']}/my-attendance", token=student["token"]
        )
        assert (status, body["data"]["status"]) == (200, expected)
    print(f"DONE refused after {done_failed_after:.1f}s (the busy timeout)")
    await teacher.close()
    await pupil.close()


async def test_a_done_waiting_on_a_locked_database_holds_up_no_other_socket(server_factory):
    server = server_factory(SQLITE_TIMEOUT="2")
    seed = await asyncio.to_thread(seed_class, server, 3)
    teacher = await Socket.open(server.ws, seed["teacher"]["token"])
    pupil = await Socket.open(server.ws, seed["students"][0]["token"])

    lock = await asyncio.to_thread(DatabaseLock, server.database)
    try:
        await teacher.send("DONE")
        refusal = asyncio.ensure_future(teacher.recv(timeout=90))
        await asyncio.sleep(0.5)
        # Reads and new sockets need no write lock: they are answered while DONE still waits.
        await pupil.send("MY_ATTENDANCE")
        answer = asyncio.ensure_future(pupil.recv(timeout=90))
        late = asyncio.ensure_future(open_socket(server, seed["students"][1]["token"]))
        done, _ = await asyncio.wait([refusal, answer, late], return_when=asyncio.FIRST_COMPLETED)
        first = {refusal: "DONE refused", answer: "read answered", late: "socket opened"}[done.pop()]
        await asyncio.wait([refusal, answer, late])
    finally:
        await asyncio.to_thread(lock.release)
    assert refusal.result()["data"]["message"] == Messages.WS_PERSIST_FAILED
    assert isinstance(late.result(), Socket), f"a socket opened while DONE waited was refused: {late.result()}"
    mine = {"event": "MY_ATTENDANCE", "data": {"status": "not yet updated", "classId": seed["classId"]}}
    assert answer.result() == mine
    assert first != "DONE refused"
    for socket in (teacher, pupil, late.result()):
        await socket.close()


async def open_socket(server, token: str) -> Socket | str:
    """Open a socket, or say why it could not be opened."""
    try:
        return await Socket.open(server.ws, token)
    except Exception as error:
        return repr(error)
