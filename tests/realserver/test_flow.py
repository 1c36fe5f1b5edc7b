"""The whole teacher/student flow against Daphne started as a real process."""

import asyncio
import contextlib
import re
import urllib.request

import pytest

from tests.realserver.wire import Socket, http

pytestmark = pytest.mark.server


async def test_signup_to_my_attendance_over_the_network(server_factory):
    server = server_factory()
    base = server.http

    def call(*args, **kwargs):
        return asyncio.to_thread(http, base, *args, **kwargs)

    status, body = await call(
        "POST", "/auth/signup", {"name": "Tess", "email": "tess@school.test", "password": "secret1", "role": "teacher"}
    )
    assert status == 201 and body["data"]["role"] == "teacher"
    status, body = await call(
        "POST", "/auth/signup", {"name": "Sam", "email": "Sam@School.test", "password": "secret1", "role": "student"}
    )
    assert status == 201
    student_id = body["data"]["_id"]
    _, body = await call("POST", "/auth/login", {"email": "tess@school.test", "password": "secret1"})
    teacher_token = body["data"]["token"]
    _, body = await call("POST", "/auth/login", {"email": "sam@school.test", "password": "secret1"})
    student_token = body["data"]["token"]

    _, body = await call("POST", "/class", {"className": "Biology"}, token=teacher_token)
    class_id = body["data"]["_id"]
    status, body = await call("POST", f"/class/{class_id}/add-student", {"studentId": student_id}, token=teacher_token)
    assert status == 200 and body["data"]["studentIds"] == [student_id]
    status, body = await call("POST", "/attendance/start", {"classId": class_id}, token=f"Bearer {teacher_token}")
    assert status == 200 and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", body["data"]["startedAt"])

    teacher = await Socket.open(server.ws, teacher_token)
    student = await Socket.open(server.ws, student_token)
    await teacher.nothing()
    await student.nothing()

    await student.send("MY_ATTENDANCE")
    await student.expect("MY_ATTENDANCE", status="not yet updated")
    await teacher.send("ATTENDANCE_MARKED", {"studentId": student_id, "status": "present"})
    await teacher.expect("ATTENDANCE_MARKED", studentId=student_id, status="present")
    await student.expect("ATTENDANCE_MARKED", studentId=student_id, status="present")
    await student.send("MY_ATTENDANCE")
    await student.expect("MY_ATTENDANCE", status="present")
    await teacher.send("TODAY_SUMMARY")
    await teacher.expect("TODAY_SUMMARY", present=1, absent=0, total=1)
    await student.expect("TODAY_SUMMARY", present=1, absent=0, total=1)
    await teacher.send("DONE")
    await teacher.expect("DONE", message="Attendance persisted", present=1, absent=0, total=1)
    await student.expect("DONE", total=1)
    await teacher.close()
    await student.close()

    status, body = await call("GET", f"/class/{class_id}/my-attendance", token=student_token)
    assert (status, body) == (200, {"success": True, "data": {"classId": class_id, "status": "present"}})


def test_tokens_never_reach_the_access_log(server_factory):
    server = server_factory()
    secret = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXBheWxvYWQ.c2lnbmF0dXJl"
    request = urllib.request.Request(f"{server.http}/ws?token={secret}")
    with contextlib.suppress(urllib.error.HTTPError):
        urllib.request.urlopen(request, timeout=5).read()
    status, _ = http(server.http, "GET", "/auth/me", token=f"Bearer {secret}")
    assert status == 401
    server.stop()
    log = server.log()
    assert "/ws?token=[redacted]" in log
    assert secret not in log and "c2VjcmV0LXBheWxvYWQ" not in log
