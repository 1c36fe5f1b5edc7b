"""Every socket of a class gets every write of a session once, in order, numbered by `seq`."""

import asyncio

import pytest
from asgiref.sync import sync_to_async

from attendance import services
from attendance.models import AttendanceRecord
from live.tests.wsclient import Client
from tests.factories import make_class, make_student, make_teacher, token_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def school():
    """Three classes running at once, each with a teacher and four students."""
    rooms = []
    for n in range(3):
        teacher = make_teacher(name=f"Teacher {n}")
        students = [make_student(name=f"Student {n}.{i}") for i in range(4)]
        klass = make_class(teacher=teacher, students=students, name=f"Class {n}")
        session = services.session_start(teacher=teacher, klass=klass)
        rooms.append({"teacher": teacher, "students": students, "klass": klass, "session": session})
    return rooms


async def connect(user) -> Client:
    return await Client.open(await sync_to_async(token_for)(user))


async def test_marks_summary_and_done_carry_the_session_and_an_increasing_seq(school):
    room = school[0]
    teacher, alice = await connect(room["teacher"]), await connect(room["students"][0])
    session_id = str(room["session"].pk)
    for n, student in enumerate(room["students"][:3], start=1):
        await teacher.send("ATTENDANCE_MARKED", {"studentId": str(student.pk), "status": "present"})
        for client in (teacher, alice):
            await client.expect("ATTENDANCE_MARKED", studentId=str(student.pk), sessionId=session_id, seq=n)
    await teacher.send("TODAY_SUMMARY")
    for client in (teacher, alice):
        await client.expect("TODAY_SUMMARY", present=3, absent=0, total=3, sessionId=session_id, seq=3)
    await teacher.send("DONE")
    for client in (teacher, alice):
        await client.expect("DONE", present=3, absent=1, total=4, sessionId=session_id, seq=4)
        await client.nothing()
    for client in (teacher, alice):
        await client.close()


async def test_every_socket_of_every_class_gets_each_mark_once_and_in_order(school):
    """Three teachers mark at once without waiting for answers; the writer takes them one by one."""
    teachers = [await connect(room["teacher"]) for room in school]
    watchers = [[await connect(student) for student in room["students"][:2]] for room in school]
    rounds = 12
    plans = [[(room["students"][i % 4], "present" if i % 3 else "absent") for i in range(rounds)] for room in school]

    async def send_all(client, plan):
        for student, status in plan:
            await client.send("ATTENDANCE_MARKED", {"studentId": str(student.pk), "status": status})

    await asyncio.gather(*(send_all(client, plan) for client, plan in zip(teachers, plans, strict=True)))
    for room, teacher, sockets, plan in zip(school, teachers, watchers, plans, strict=True):
        for client in (teacher, *sockets):
            frames = [await client.recv() for _ in plan]
            assert [(f["data"]["studentId"], f["data"]["status"]) for f in frames] == [
                (str(student.pk), status) for student, status in plan
            ]
            assert [f["data"]["seq"] for f in frames] == list(range(1, rounds + 1))
            assert {f["data"]["classId"] for f in frames} == {str(room["klass"].pk)}
            await client.nothing()  # no second copy of any of them
    # Nothing lost on the way to the database either.
    for room, plan in zip(school, plans, strict=True):
        stored = await sync_to_async(
            lambda r=room: dict(
                AttendanceRecord.objects.filter(session=r["session"]).values_list("student_id", "status")
            )
        )()
        assert stored == {student.pk: status for student, status in dict(plan).items()}
    for client in (*teachers, *(s for sockets in watchers for s in sockets)):
        await client.close()
