"""Several Daphne workers sharing one database and Redis: the production shape."""

import asyncio

import pytest

from harness.seed import seed_class
from tests.realserver.wire import Socket, http
from tests.services import require_redis

pytestmark = [pytest.mark.server, pytest.mark.redis]


async def drain(socket: Socket, quiet: float = 1.0) -> list[dict]:
    """Read frames until the socket has been quiet for `quiet` seconds."""
    frames = []
    while True:
        try:
            frames.append(await socket.recv(timeout=quiet))
        except TimeoutError:
            return frames


@pytest.fixture
def redis_url():
    return require_redis()


async def test_workers_share_marks_and_a_killed_worker_loses_nothing(server_factory, redis_url):
    worker_a = server_factory(redis_url=redis_url)
    worker_b = server_factory(redis_url=redis_url)
    seed = await asyncio.to_thread(seed_class, worker_a, 3)
    s0, s1, s2 = seed["students"]

    teacher = await Socket.open(worker_a.ws, seed["teacher"]["token"])
    student = await Socket.open(worker_b.ws, s0["token"])
    await teacher.send("ATTENDANCE_MARKED", {"studentId": s0["id"], "status": "present"})
    await teacher.expect("ATTENDANCE_MARKED", studentId=s0["id"])
    await student.expect("ATTENDANCE_MARKED", studentId=s0["id"], status="present")
    await student.send("MY_ATTENDANCE")
    await student.expect("MY_ATTENDANCE", status="present")
    await teacher.send("ATTENDANCE_MARKED", {"studentId": s1["id"], "status": "absent"})
    await teacher.expect("ATTENDANCE_MARKED", studentId=s1["id"])
    await student.expect("ATTENDANCE_MARKED", studentId=s1["id"], status="absent")

    await asyncio.to_thread(worker_a.restart)  # SIGKILL, then start again on the same port

    teacher = await Socket.open(worker_a.ws, seed["teacher"]["token"])
    await teacher.send("TODAY_SUMMARY")
    await teacher.expect("TODAY_SUMMARY", present=1, absent=1, total=2)
    await student.expect("TODAY_SUMMARY", present=1, absent=1, total=2)
    await teacher.send("ATTENDANCE_MARKED", {"studentId": s2["id"], "status": "present"})
    await teacher.expect("ATTENDANCE_MARKED", studentId=s2["id"])
    await student.expect("ATTENDANCE_MARKED", studentId=s2["id"])
    await teacher.send("DONE")
    await teacher.expect("DONE", present=2, absent=1, total=3)
    await student.expect("DONE", present=2, absent=1, total=3)
    await teacher.close()
    await student.close()

    status, body = http(worker_b.http, "GET", f"/class/{seed['classId']}/my-attendance", token=s1["token"])
    assert (status, body["data"]["status"]) == (200, "absent")


async def test_two_dones_on_two_workers_persist_once(server_factory, redis_url):
    worker_a = server_factory(redis_url=redis_url)
    worker_b = server_factory(redis_url=redis_url)
    seed = await asyncio.to_thread(seed_class, worker_a, 25)
    token = seed["teacher"]["token"]
    on_a, on_b = await Socket.open(worker_a.ws, token), await Socket.open(worker_b.ws, token)
    await asyncio.gather(on_a.send("DONE"), on_b.send("DONE"))

    frames = await drain(on_a) + await drain(on_b)
    dones = [f for f in frames if f["event"] == "DONE"]
    errors = [f for f in frames if f["event"] == "ERROR"]
    # One DONE succeeded and was broadcast to both connections; the other was refused, once.
    assert len(frames) == 3, frames
    assert len(dones) == 2 and all(d["data"]["total"] == 25 and d["data"]["absent"] == 25 for d in dones)
    assert errors == [{"event": "ERROR", "data": {"message": "No active attendance session"}}]
    for student in seed["students"][:3]:
        _status, body = http(worker_b.http, "GET", f"/class/{seed['classId']}/my-attendance", token=student["token"])
        assert body["data"]["status"] == "absent"
    await on_a.close()
    await on_b.close()


async def test_marks_racing_done_on_another_worker_are_never_silently_lost(server_factory, redis_url):
    worker_a = server_factory(redis_url=redis_url)
    worker_b = server_factory(redis_url=redis_url)
    seed = await asyncio.to_thread(seed_class, worker_a, 60)
    token = seed["teacher"]["token"]
    marker, finisher = await Socket.open(worker_a.ws, token), await Socket.open(worker_b.ws, token)

    async def mark_all():
        for student in seed["students"]:
            await marker.send("ATTENDANCE_MARKED", {"studentId": student["id"], "status": "present"})
            await asyncio.sleep(0.002)

    async def finish_midway():
        await asyncio.sleep(0.05)
        await finisher.send("DONE")

    await asyncio.gather(mark_all(), finish_midway())

    # Every mark is answered: its broadcast (which travels through Redis) or a direct ERROR.
    accepted: set[str] = set()
    refused = 0
    summary = None
    while len(accepted) + refused < len(seed["students"]) or summary is None:
        frame = await marker.recv()
        if frame["event"] == "DONE":
            summary = frame["data"]
        elif frame["event"] == "ATTENDANCE_MARKED":
            accepted.add(frame["data"]["studentId"])
        else:
            assert frame == {"event": "ERROR", "data": {"message": "No active attendance session"}}
            refused += 1
    assert len(accepted) + refused == 60
    assert summary["present"] == len(accepted) and summary["total"] == 60
    await marker.nothing()
    outcome = {s["id"]: ("accepted" if s["id"] in accepted else "refused") for s in seed["students"]}

    for student in seed["students"]:
        _, body = http(worker_b.http, "GET", f"/class/{seed['classId']}/my-attendance", token=student["token"])
        expected = "present" if outcome[student["id"]] == "accepted" else "absent"
        assert body["data"]["status"] == expected, student
    await marker.close()
    await finisher.close()


async def test_one_broadcast_reaches_a_thousand_students_and_done_persists_them(server_factory, redis_url):
    worker_a = server_factory(redis_url=redis_url)
    worker_b = server_factory(redis_url=redis_url)
    seed = await asyncio.to_thread(seed_class, worker_a, 1000)
    students = seed["students"]
    semaphore = asyncio.Semaphore(100)

    async def open_student(index, student):
        async with semaphore:
            return await Socket.open((worker_a if index % 2 else worker_b).ws, student["token"])

    sockets = await asyncio.gather(*(open_student(i, s) for i, s in enumerate(students)))
    teacher = await Socket.open(worker_a.ws, seed["teacher"]["token"])
    target = students[7]["id"]
    await teacher.send("ATTENDANCE_MARKED", {"studentId": target, "status": "present"})
    await teacher.expect("ATTENDANCE_MARKED", studentId=target)
    received = await asyncio.gather(*(s.expect("ATTENDANCE_MARKED", timeout=30, studentId=target) for s in sockets))
    assert len(received) == 1000

    await teacher.send("DONE")
    done = await teacher.expect("DONE", timeout=60)
    assert done.pop("sessionId")
    assert done == {
        "message": "Attendance persisted",
        "present": 1,
        "late": 0,
        "excused": 0,
        "absent": 999,
        "total": 1000,
        "classId": seed["classId"],
        "seq": 2,  # the one mark, then DONE
    }
    finals = await asyncio.gather(*(s.expect("DONE", timeout=30, total=1000) for s in sockets))
    assert len(finals) == 1000
    await asyncio.gather(*(s.close() for s in sockets), teacher.close())

    for student, expected in ((students[7], "present"), (students[0], "absent"), (students[999], "absent")):
        _, body = http(worker_b.http, "GET", f"/class/{seed['classId']}/my-attendance", token=student["token"])
        assert body["data"]["status"] == expected
