"""Redis dies mid-session under two workers, and comes back on the same port.

Each test runs its own redis-server (never the shared one), two Daphne workers on it,
and kills it with SIGKILL: every key, subscription and connection is gone at once, as
when the Redis container is restarted at 8:00.
"""

import asyncio
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from core.errors import Messages
from harness.seed import seed_class
from tests.faults.frames import expect_past_background
from tests.realserver.wire import Socket, http

pytestmark = [pytest.mark.server, pytest.mark.redis]

RECOVERY_SECONDS = 30


async def call(server, method: str, path: str, body=None, token: str | None = None) -> tuple[int, dict]:
    return await asyncio.to_thread(http, server.http, method, path, body, token)


async def frames_within(socket: Socket, seconds: float) -> list[dict]:
    """Every frame that arrives within `seconds`."""
    frames: list[dict] = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            frames.append(await socket.recv(timeout=left))
        except TimeoutError:
            break
    return frames


async def open_or_none(url: str, token: str) -> Socket | None:
    try:
        return await Socket.open(url, token)
    except (OSError, InvalidStatus, TimeoutError):
        return None  # the worker refuses new sockets while its channel layer is down


async def until_a_mark_crosses_workers(worker_a, worker_b, seed: dict, teacher: Socket, student: Socket) -> tuple:
    """Mark on A until the student on B hears it, reconnecting either side if it was dropped.

    Return the sockets that worked and how many attempts it took.
    """
    targets = seed["students"][4:]
    deadline = time.monotonic() + RECOVERY_SECONDS
    attempt = 0
    while time.monotonic() < deadline:
        target = targets[attempt % len(targets)]["id"]
        attempt += 1
        try:
            await teacher.send("ATTENDANCE_MARKED", {"studentId": target, "status": "present"})
            await frames_within(teacher, 1.0)
            heard = await frames_within(student, 1.5)
        except ConnectionClosed:
            teacher = await open_or_none(worker_a.ws, seed["teacher"]["token"]) or teacher
            student = await open_or_none(worker_b.ws, seed["students"][0]["token"]) or student
            continue
        if {"event": "ATTENDANCE_MARKED", "data": {"studentId": target, "status": "present"}} in [
            {"event": f["event"], "data": {k: f["data"].get(k) for k in ("studentId", "status")}} for f in heard
        ]:
            return teacher, student, attempt
    raise AssertionError(f"no mark crossed from worker A to worker B within {RECOVERY_SECONDS}s after Redis returned")


async def test_redis_restart_mid_session_loses_no_mark_and_live_marking_resumes(server_factory, private_redis):
    worker_a = server_factory(redis_url=private_redis.url)
    worker_b = server_factory(redis_url=private_redis.url)
    seed = await asyncio.to_thread(seed_class, worker_a, 12)
    students, class_id, teacher_token = seed["students"], seed["classId"], seed["teacher"]["token"]
    status, _ = await call(
        worker_a,
        "POST",
        "/auth/signup",
        {"name": "Pat", "email": "pat@school.test", "password": "secret1", "role": "student"},
    )
    assert status == 201

    teacher = await Socket.open(worker_a.ws, teacher_token)
    student = await Socket.open(worker_b.ws, students[0]["token"])
    for target, mark in ((students[0], "present"), (students[1], "absent")):
        await teacher.send("ATTENDANCE_MARKED", {"studentId": target["id"], "status": mark})
        await teacher.expect("ATTENDANCE_MARKED", studentId=target["id"], status=mark)
        await student.expect("ATTENDANCE_MARKED", studentId=target["id"], status=mark)

    private_redis.kill()

    # HTTP keeps answering on both workers: no 500 while Redis is away.
    for worker in (worker_a, worker_b):
        status, body = await call(worker, "POST", "/auth/login", {"email": "pat@school.test", "password": "secret1"})
        assert status == 200 and body["data"]["token"], body  # the login throttle failed open
        status, body = await call(worker, "POST", "/auth/login", {"email": "pat@school.test", "password": "wrong!"})
        assert (status, body["error"]) == (400, "Invalid email or password")
        status, body = await call(worker, "GET", f"/class/{class_id}", token=teacher_token)
        assert status == 200 and len(body["data"]["students"]) == 12
        status, body = await call(worker, "POST", "/attendance/start", {"classId": class_id}, token=teacher_token)
        assert status == 200 and body["data"]["startedAt"].startswith(seed["startedAt"][:19])
        status, body = await call(worker, "GET", f"/class/{class_id}/my-attendance", token=students[0]["token"])
        assert (status, body["data"]["status"]) == (200, None)

    # A mark during the outage is written (checked below) and reaches this worker's sockets, but
    # cannot be published to the others: the teacher is told.
    await teacher.send("ATTENDANCE_MARKED", {"studentId": students[2]["id"], "status": "present"})
    await teacher.expect("ATTENDANCE_MARKED", studentId=students[2]["id"], status="present")
    assert await teacher.recv() == {"event": "ERROR", "data": {"message": Messages.WS_BROADCAST_FAILED}}

    private_redis.start()  # same port, empty

    teacher, student, _attempts = await until_a_mark_crosses_workers(worker_a, worker_b, seed, teacher, student)

    # Fresh connections on both workers work too.
    fresh_teacher = await Socket.open(worker_a.ws, teacher_token)
    fresh_student = await Socket.open(worker_b.ws, students[3]["token"])
    await fresh_teacher.send("ATTENDANCE_MARKED", {"studentId": students[3]["id"], "status": "absent"})
    await fresh_student.expect("ATTENDANCE_MARKED", studentId=students[3]["id"], status="absent")
    await expect_past_background(fresh_teacher, "ATTENDANCE_MARKED", studentId=students[3]["id"])

    # Nothing persisted was lost: the marks before the outage and the one during it.
    await fresh_teacher.send("SUBSCRIBE")
    snapshot = await expect_past_background(fresh_teacher, "SNAPSHOT")
    marks = snapshot["classes"][0]["session"]["marks"]
    assert marks[students[0]["id"]] == "present"
    assert marks[students[1]["id"]] == "absent"
    assert marks[students[2]["id"]] == "present"
    assert marks[students[3]["id"]] == "absent"
    await fresh_teacher.send("TODAY_SUMMARY")
    summary = await expect_past_background(fresh_teacher, "TODAY_SUMMARY")
    assert summary["total"] == len(marks) and summary["absent"] == 2

    await fresh_teacher.send("DONE")
    await expect_past_background(fresh_teacher, "DONE", total=12)
    status, body = await call(worker_b, "GET", f"/class/{class_id}/my-attendance", token=students[2]["token"])
    assert (status, body["data"]["status"]) == (200, "present")
    for socket in (teacher, student, fresh_teacher, fresh_student):
        await socket.close()


async def test_starting_a_session_and_enrolling_during_a_redis_outage_answer_normally(server_factory, private_redis):
    worker = server_factory(redis_url=private_redis.url)
    seed = await asyncio.to_thread(seed_class, worker, 2, session=False)
    token, class_id = seed["teacher"]["token"], seed["classId"]
    _status, body = await call(
        worker,
        "POST",
        "/auth/signup",
        {"name": "Kim", "email": "kim@school.test", "password": "secret1", "role": "student"},
    )
    newcomer = body["data"]["_id"]

    private_redis.kill()

    start = await call(worker, "POST", "/attendance/start", {"classId": class_id}, token=token)
    added = await call(worker, "POST", f"/class/{class_id}/add-student", {"studentId": newcomer}, token=token)
    assert start[0] == 200 and start[1]["data"]["classId"] == class_id, start
    assert added[0] == 200 and newcomer in added[1]["data"]["studentIds"], added


def signed_in_browser(server, email: str, password: str) -> urllib.request.OpenerDirector:
    """Sign in through the site's own login form; return a cookie-keeping client."""
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    form = browser.open(server.http + "/", timeout=10).read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    fields = urllib.parse.urlencode({"csrfmiddlewaretoken": csrf, "email": email, "password": password}).encode()
    landed = browser.open(urllib.request.Request(server.http + "/", data=fields), timeout=10)
    assert landed.url.endswith("/app/"), landed.url
    return browser


def page_status(browser, url: str) -> int:
    try:
        return browser.open(url, timeout=10).status
    except urllib.error.HTTPError as error:
        return error.code


async def test_a_signed_in_teacher_keeps_the_site_during_a_redis_outage(server_factory, private_redis):
    worker = server_factory(redis_url=private_redis.url)
    body = {"name": "Tess", "email": "tess@school.test", "password": "secret1", "role": "teacher"}
    assert (await call(worker, "POST", "/auth/signup", body))[0] == 201
    browser = await asyncio.to_thread(signed_in_browser, worker, "tess@school.test", "secret1")
    assert await asyncio.to_thread(page_status, browser, worker.http + "/app/") == 200

    private_redis.kill()

    assert await asyncio.to_thread(page_status, browser, worker.http + "/app/") == 200
