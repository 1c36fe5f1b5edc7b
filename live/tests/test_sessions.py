"""A teacher socket keeps its running sessions between frames; what changes them elsewhere still counts."""

import asyncio

import pytest
from asgiref.sync import sync_to_async

from attendance import services
from attendance.models import AttendanceRecord, AttendanceSession
from core.errors import Messages
from live.tests.wsclient import Client
from tests.factories import make_student, token_for

pytestmark = pytest.mark.django_db(transaction=True)


async def connect(user) -> Client:
    return await Client.open(await sync_to_async(token_for)(user))


async def mark(client: Client, student, status: str = "present", **extra) -> None:
    await client.send("ATTENDANCE_MARKED", {"studentId": str(student.pk), "status": status, **extra})


async def test_a_session_finished_elsewhere_refuses_the_next_mark(room):
    teacher = await connect(room["teacher"])
    await mark(teacher, room["alice"])
    await teacher.expect("ATTENDANCE_MARKED", studentId=str(room["alice"].pk))
    await sync_to_async(services.session_finish)(session=room["session"])  # the admin, another worker
    await teacher.expect("DONE")
    await mark(teacher, room["bob"])
    await teacher.error(Messages.WS_NO_SESSION)
    await teacher.send("TODAY_SUMMARY")
    await teacher.error(Messages.WS_NO_SESSION)
    assert not await sync_to_async(
        AttendanceRecord.objects.filter(session=room["session"], marked_by__isnull=False, student=room["bob"]).exists
    )()
    await teacher.close()


async def test_a_session_ended_and_restarted_elsewhere_takes_the_next_mark(room, monkeypatch):
    import live.receivers

    teacher = await connect(room["teacher"])
    await mark(teacher, room["alice"])
    first = await teacher.expect("ATTENDANCE_MARKED")
    # Finished and started again where this worker hears nothing of it (another worker whose
    # announcements were lost): the kept session is found ended at the write, and looked up again.
    monkeypatch.setattr(live.receivers, "_sessions_changed", lambda session: None)
    await sync_to_async(AttendanceSession.objects.filter(pk=room["session"].pk).update)(is_active=False)
    again = await sync_to_async(services.session_start)(teacher=room["teacher"], klass=room["klass"])
    await mark(teacher, room["bob"], "absent")
    marked = await teacher.expect("ATTENDANCE_MARKED", studentId=str(room["bob"].pk), status="absent")
    assert (first["sessionId"], marked["sessionId"], marked["seq"]) == (str(room["session"].pk), str(again.pk), 1)
    await teacher.close()


async def test_a_second_session_started_elsewhere_makes_class_id_required(room):
    teacher = await connect(room["teacher"])
    await mark(teacher, room["alice"])
    await teacher.expect("ATTENDANCE_MARKED")
    await sync_to_async(services.session_start)(teacher=room["teacher"], klass=room["other"])
    # The start announced itself to the teacher's sockets, which dropped the session they kept.
    for _ in range(20):
        await mark(teacher, room["bob"])
        frame = await teacher.recv()
        if frame["event"] == "ERROR":
            break
    assert frame == {"event": "ERROR", "data": {"message": Messages.WS_CLASS_ID_REQUIRED}}
    await mark(teacher, room["bob"], classId=str(room["other"].pk))
    await teacher.expect("ATTENDANCE_MARKED", classId=str(room["other"].pk))
    await teacher.close()


async def test_errors_of_a_kept_session_still_reach_the_sender_only(room):
    teacher = await connect(room["teacher"])
    alice = await connect(room["alice"])
    await mark(teacher, room["alice"])
    await teacher.expect("ATTENDANCE_MARKED")
    await alice.expect("ATTENDANCE_MARKED")
    outsider = await sync_to_async(make_student)()
    for student_id, status, message in (
        (str(room["alice"].pk), "maybe", Messages.WS_INVALID_STATUS),
        (str(outsider.pk), "present", Messages.WS_STUDENT_NOT_ENROLLED),
        ("someid", "present", Messages.WS_STUDENT_NOT_ENROLLED),
    ):
        await teacher.send("ATTENDANCE_MARKED", {"studentId": student_id, "status": status})
        await teacher.error(message)
    await mark(teacher, room["alice"], classId="someid")
    await teacher.error(Messages.WS_NO_SESSION)
    await alice.nothing()
    for client in (teacher, alice):
        await client.close()


# Looked up ahead: a teacher's socket finds its sessions as it opens ------------------------


@pytest.fixture
def lookups(monkeypatch):
    """Count the sessions lookups of teacher sockets."""
    import live.sessions

    calls = []
    real = live.sessions.sessions_active_for

    def counting(*, user):
        calls.append(user.pk)
        return real(user=user)

    monkeypatch.setattr(live.sessions, "sessions_active_for", counting)
    return calls


async def settle(lookups: list, count: int) -> None:
    for _ in range(100):
        if len(lookups) >= count:
            return
        await asyncio.sleep(0.01)


async def test_a_teachers_sessions_are_looked_up_as_the_socket_opens_not_at_the_first_mark(room, lookups):
    teacher = await connect(room["teacher"])
    await settle(lookups, 1)
    assert lookups == [room["teacher"].pk]  # before any frame was sent
    await mark(teacher, room["alice"])
    await teacher.expect("ATTENDANCE_MARKED", sessionId=str(room["session"].pk), seq=1)
    await mark(teacher, room["bob"])
    await teacher.expect("ATTENDANCE_MARKED", studentId=str(room["bob"].pk), seq=2)
    assert lookups == [room["teacher"].pk]
    await teacher.close()


async def test_a_student_socket_looks_nothing_up_ahead(room, lookups):
    alice = await connect(room["alice"])
    await alice.nothing()
    assert lookups == []
    await alice.close()


async def test_a_session_started_after_the_socket_opened_takes_the_first_mark(room, lookups, monkeypatch):
    import live.receivers

    # The start's announcement is lost (another worker's, say): only the lookup at the mark can see it.
    monkeypatch.setattr(live.receivers, "_sessions_changed", lambda session: None)
    teacher = await connect(room["teacher"])
    await settle(lookups, 1)
    other = await sync_to_async(services.session_start)(teacher=room["teacher"], klass=room["other"])
    await mark(teacher, room["bob"], classId=str(room["other"].pk))
    await teacher.expect("ATTENDANCE_MARKED", sessionId=str(other.pk), classId=str(room["other"].pk))
    await teacher.close()


async def test_a_lookup_ahead_that_fails_leaves_the_first_mark_to_look_again(room, lookups, monkeypatch, caplog):
    import live.sessions

    counting = live.sessions.sessions_active_for
    failures = []

    def failing_once(*, user):
        if not failures:
            failures.append(user.pk)
            raise ConnectionError("database restarting")
        return counting(user=user)

    monkeypatch.setattr(live.sessions, "sessions_active_for", failing_once)
    teacher = await connect(room["teacher"])
    await mark(teacher, room["alice"])
    await teacher.expect("ATTENDANCE_MARKED", sessionId=str(room["session"].pk))
    assert failures == [room["teacher"].pk]
    assert "Looking up a socket's sessions ahead failed" in caplog.text
    await teacher.close()


async def test_a_lookup_ahead_that_fails_on_a_socket_closed_before_any_mark_is_logged_not_left_unretrieved(
    monkeypatch, caplog
):
    import gc

    import live.sessions

    def failing(*, user):
        raise ConnectionError("database restarting")

    monkeypatch.setattr(live.sessions, "sessions_active_for", failing)
    unretrieved = []
    loop = asyncio.get_running_loop()
    monkeypatch.setattr(loop, "call_exception_handler", unretrieved.append)
    kept = live.sessions.SenderSessions(user=None)
    kept.warm()
    lookup = kept.warming
    await asyncio.wait([lookup])
    kept.forget()  # the socket closed
    del lookup, kept
    gc.collect()
    assert unretrieved == []
    assert "Looking up a socket's sessions ahead failed" in caplog.text
