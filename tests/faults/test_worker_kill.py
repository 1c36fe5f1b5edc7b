"""A worker killed with SIGKILL mid-session: its clients see the drop, reconnect and resync.

(That the marks themselves survive a kill under two workers is tests/realserver/test_workers.py.)
"""

import asyncio

import pytest
from websockets.exceptions import ConnectionClosed

from harness.seed import seed_class
from tests.faults.frames import expect_past_background
from tests.realserver.wire import Socket

pytestmark = pytest.mark.server


async def dropped(socket: Socket) -> bool:
    try:
        await socket.recv(timeout=5)
    except ConnectionClosed:
        return True
    return False


async def snapshot(socket: Socket) -> dict:
    await socket.send("SUBSCRIBE")
    return (await expect_past_background(socket, "SNAPSHOT"))["classes"][0]


async def test_clients_of_a_killed_worker_reconnect_and_resync_every_mark_with_subscribe(server_factory):
    worker = server_factory()
    seed = await asyncio.to_thread(seed_class, worker, 5)
    students = seed["students"]
    teacher = await Socket.open(worker.ws, seed["teacher"]["token"])
    pupil = await Socket.open(worker.ws, students[0]["token"])
    marked = {students[0]["id"]: "present", students[1]["id"]: "absent", students[2]["id"]: "present"}
    echoes = []
    for student_id, status in marked.items():
        await teacher.send("ATTENDANCE_MARKED", {"studentId": student_id, "status": status})
        echoes.append(await teacher.expect("ATTENDANCE_MARKED", studentId=student_id))
        await pupil.expect("ATTENDANCE_MARKED", studentId=student_id)

    await asyncio.to_thread(worker.kill)
    assert await dropped(teacher) and await dropped(pupil)
    await asyncio.to_thread(worker.start)  # same port, same database

    # A client that held the first mark catches up on the two after it, from the database.
    catcher = await Socket.open(worker.ws, seed["teacher"]["token"])
    held = echoes[0]
    await catcher.send("CATCH_UP", {"classId": seed["classId"], "sessionId": held["sessionId"], "since": held["seq"]})
    caught = await expect_past_background(catcher, "CATCH_UP")
    assert (caught["seq"], caught["marks"]) == (3, {students[1]["id"]: "absent", students[2]["id"]: "present"})
    await catcher.close()

    teacher = await Socket.open(worker.ws, seed["teacher"]["token"])
    pupil = await Socket.open(worker.ws, students[0]["token"])
    entry = await snapshot(teacher)
    assert entry["classId"] == seed["classId"]
    assert entry["session"]["marks"] == marked
    assert entry["session"]["counts"] == {
        "present": 2,
        "late": 0,
        "excused": 0,
        "absent": 1,
        "notMarked": 2,
        "total": 5,
    }
    mine = await snapshot(pupil)
    assert mine["session"] == {
        "startedAt": entry["session"]["startedAt"],
        "sessionId": entry["session"]["sessionId"],
        "seq": entry["session"]["seq"],
        "status": "present",
        "checkIn": {"claimed": False, "open": False},
    }

    # The session carries on where it was: the next mark reaches the reconnected student.
    await teacher.send("ATTENDANCE_MARKED", {"studentId": students[3]["id"], "status": "present"})
    await expect_past_background(teacher, "ATTENDANCE_MARKED", studentId=students[3]["id"])
    await pupil.expect("ATTENDANCE_MARKED", studentId=students[3]["id"], status="present")
    await teacher.send("DONE")
    await expect_past_background(teacher, "DONE", present=3, absent=2, total=5)
    await teacher.close()
    await pupil.close()
