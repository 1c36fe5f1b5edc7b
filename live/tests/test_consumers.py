"""The WebSocket half of the contract, driven through the real ASGI application."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.db import DatabaseError
from django.test import override_settings

from attendance import services
from attendance.models import AttendanceRecord, AttendanceSession
from classes.services import enrollment_add
from core.errors import Messages
from live.tests.wsclient import Client, eventually
from tests.factories import make_class, make_student, make_teacher, token_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world():
    """Two classes with their own teachers and students; class A has a running session."""
    teacher = make_teacher(name="Teacher A")
    alice, bob = make_student(name="Alice"), make_student(name="Bob")
    klass = make_class(teacher=teacher, students=[alice, bob], name="Class A")
    other_teacher = make_teacher(name="Teacher B")
    carol = make_student(name="Carol")
    other = make_class(teacher=other_teacher, students=[carol], name="Class B")
    session = services.session_start(teacher=teacher, klass=klass)
    return {
        "teacher": teacher,
        "alice": alice,
        "bob": bob,
        "klass": klass,
        "session": session,
        "other_teacher": other_teacher,
        "carol": carol,
        "other": other,
    }


async def connect(user) -> Client:
    return await Client.open(await sync_to_async(token_for)(user))


# Authentication ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/ws", "/ws?token=", "/ws?token=not-a-jwt", "/ws?token=a.b.c"])
async def test_bad_or_missing_token_gets_error_then_close(path):
    client = await Client.open(path=path)
    await client.error(Messages.WS_UNAUTHORIZED)
    await client.closed()


async def test_deleted_users_token_is_refused(world):
    token = await sync_to_async(token_for)(world["alice"])
    await sync_to_async(world["alice"].delete)()
    client = await Client.open(token)
    await client.error(Messages.WS_UNAUTHORIZED)
    await client.closed()


async def test_good_token_opens_and_sends_nothing_unsolicited(world):
    teacher = await connect(world["teacher"])
    student = await connect(world["alice"])
    await teacher.nothing(0.3)
    await student.nothing(0.3)
    await teacher.close()
    await student.close()


# Frame validation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        "[1,2]",
        '"text"',
        "42",
        "null",
        "{}",
        '{"event": 5}',
        '{"data": {}}',
        '{"event": "X", "data": [1]}',
    ],
)
async def test_malformed_frames_get_invalid_message_format(world, raw):
    client = await connect(world["teacher"])
    await client.send_raw(text=raw)
    await client.error(Messages.WS_INVALID_FORMAT)
    await client.send("TODAY_SUMMARY")  # the connection stays open and usable
    await client.expect("TODAY_SUMMARY", present=0, absent=0, total=0)
    await client.close()


async def test_binary_frame_is_invalid_format(world):
    client = await connect(world["teacher"])
    await client.send_raw(binary=b'{"event":"TODAY_SUMMARY"}')
    await client.error(Messages.WS_INVALID_FORMAT)
    await client.close()


async def test_unknown_event(world):
    client = await connect(world["alice"])
    await client.send("DANCE")
    await client.error(Messages.WS_UNKNOWN_EVENT)
    await client.close()


# Roles -------------------------------------------------------------------------------


@pytest.mark.parametrize("event", ["ATTENDANCE_MARKED", "TODAY_SUMMARY", "DONE"])
async def test_student_sending_teacher_event_is_forbidden_and_unicast(world, event):
    teacher = await connect(world["teacher"])
    alice = await connect(world["alice"])
    bob = await connect(world["bob"])
    await alice.send(event, {"studentId": str(world["alice"].pk), "status": "present"})
    await alice.error(Messages.WS_TEACHER_ONLY)
    await teacher.nothing()
    await bob.nothing()
    for client in (teacher, alice, bob):
        await client.close()


async def test_teacher_sending_student_event_is_forbidden(world):
    teacher = await connect(world["teacher"])
    await teacher.send("MY_ATTENDANCE")
    await teacher.error(Messages.WS_STUDENT_ONLY)
    await teacher.close()


# No session ------------------------------------------------------------------------


async def test_no_active_session_errors(world):
    other_teacher = await connect(world["other_teacher"])
    carol = await connect(world["carol"])
    for event in ("ATTENDANCE_MARKED", "TODAY_SUMMARY", "DONE"):
        await other_teacher.send(event, {"studentId": str(world["carol"].pk), "status": "present"})
        await other_teacher.error(Messages.WS_NO_SESSION)
    await carol.send("MY_ATTENDANCE")
    await carol.error(Messages.WS_NO_SESSION)
    await carol.nothing()
    await other_teacher.close()
    await carol.close()


# The flow ---------------------------------------------------------------------------


async def test_mark_is_broadcast_to_the_class_only(world):
    teacher = await connect(world["teacher"])
    alice = await connect(world["alice"])
    bob = await connect(world["bob"])
    other_teacher = await connect(world["other_teacher"])
    carol = await connect(world["carol"])
    alice_id = str(world["alice"].pk)

    await teacher.send("ATTENDANCE_MARKED", {"studentId": alice_id, "status": "present"})
    for client in (teacher, alice, bob):
        await client.expect("ATTENDANCE_MARKED", studentId=alice_id, status="present")
    await other_teacher.nothing()
    await carol.nothing()
    for client in (teacher, alice, bob, other_teacher, carol):
        await client.close()


async def test_summary_counts_marked_students_only(world):
    teacher = await connect(world["teacher"])
    alice = await connect(world["alice"])
    await teacher.send("TODAY_SUMMARY")
    await teacher.expect("TODAY_SUMMARY", present=0, absent=0, total=0)
    await alice.expect("TODAY_SUMMARY", present=0, absent=0, total=0)
    await teacher.send("ATTENDANCE_MARKED", {"studentId": str(world["alice"].pk), "status": "absent"})
    await teacher.expect("ATTENDANCE_MARKED")
    await alice.expect("ATTENDANCE_MARKED")
    await teacher.send("ATTENDANCE_MARKED", {"studentId": str(world["alice"].pk), "status": "present"})
    await teacher.expect("ATTENDANCE_MARKED", status="present")
    await alice.expect("ATTENDANCE_MARKED", status="present")
    await teacher.send("TODAY_SUMMARY")
    await teacher.expect("TODAY_SUMMARY", present=1, absent=0, total=1)
    await alice.expect("TODAY_SUMMARY", present=1, absent=0, total=1)
    await teacher.close()
    await alice.close()


async def test_my_attendance_is_unicast(world):
    teacher = await connect(world["teacher"])
    alice = await connect(world["alice"])
    bob = await connect(world["bob"])
    await alice.send("MY_ATTENDANCE")
    await alice.expect("MY_ATTENDANCE", status="not yet updated")
    await teacher.send("ATTENDANCE_MARKED", {"studentId": str(world["alice"].pk), "status": "present"})
    for client in (teacher, alice, bob):
        await client.expect("ATTENDANCE_MARKED")
    await alice.send("MY_ATTENDANCE")
    await alice.expect("MY_ATTENDANCE", status="present")
    await bob.send("MY_ATTENDANCE")
    await bob.expect("MY_ATTENDANCE", status="not yet updated")
    await teacher.nothing()
    await alice.nothing()
    for client in (teacher, alice, bob):
        await client.close()


async def test_done_persists_every_enrolled_student_and_ends_the_session(world):
    teacher = await connect(world["teacher"])
    alice = await connect(world["alice"])
    carol = await connect(world["carol"])
    await teacher.send("ATTENDANCE_MARKED", {"studentId": str(world["alice"].pk), "status": "present"})
    await teacher.expect("ATTENDANCE_MARKED")
    await alice.expect("ATTENDANCE_MARKED")

    await teacher.send("DONE")
    for client in (teacher, alice):
        await client.expect("DONE", message="Attendance persisted", present=1, absent=1, total=2)
    await carol.nothing()

    records = await sync_to_async(
        lambda: dict(AttendanceRecord.objects.filter(session=world["session"]).values_list("student__name", "status"))
    )()
    assert records == {"Alice": "present", "Bob": "absent"}

    await teacher.send("ATTENDANCE_MARKED", {"studentId": str(world["bob"].pk), "status": "present"})
    await teacher.error(Messages.WS_NO_SESSION)
    await alice.send("MY_ATTENDANCE")
    await alice.error(Messages.WS_NO_SESSION)
    for client in (teacher, alice, carol):
        await client.close()


async def test_marking_bad_status_or_foreign_student_is_an_error(world):
    teacher = await connect(world["teacher"])
    alice = await connect(world["alice"])
    await teacher.send("ATTENDANCE_MARKED", {"studentId": str(world["alice"].pk), "status": "tardy"})
    await teacher.error(Messages.WS_INVALID_STATUS)
    await teacher.send("ATTENDANCE_MARKED", {"studentId": str(world["carol"].pk), "status": "present"})
    await teacher.error(Messages.WS_STUDENT_NOT_ENROLLED)
    for bad_id in ("someid", "507f1f77bcf86cd799439011", {"$ne": None}, None, 10**30):
        await teacher.send("ATTENDANCE_MARKED", {"studentId": bad_id, "status": "present"})
        await teacher.error(Messages.WS_STUDENT_NOT_ENROLLED)
    await alice.nothing()
    await teacher.close()
    await alice.close()


# Several sessions ------------------------------------------------------------------------


async def test_teacher_with_two_running_sessions_must_name_the_class(world):
    second = await sync_to_async(make_class)(teacher=world["teacher"], students=[world["carol"]], name="Class C")
    await sync_to_async(services.session_start)(teacher=world["teacher"], klass=second)
    teacher = await connect(world["teacher"])
    alice = await connect(world["alice"])
    carol = await connect(world["carol"])

    await teacher.send("ATTENDANCE_MARKED", {"studentId": str(world["carol"].pk), "status": "present"})
    await teacher.error(Messages.WS_CLASS_ID_REQUIRED)
    await teacher.send(
        "ATTENDANCE_MARKED",
        {"studentId": str(world["carol"].pk), "status": "present", "classId": str(second.pk)},
    )
    await teacher.expect("ATTENDANCE_MARKED", classId=str(second.pk))
    await carol.expect("ATTENDANCE_MARKED", studentId=str(world["carol"].pk))
    await alice.nothing()
    await teacher.send("TODAY_SUMMARY", {"classId": "someid"})
    await teacher.error(Messages.WS_NO_SESSION)
    for client in (teacher, alice, carol):
        await client.close()


async def test_student_in_two_running_sessions_must_name_the_class(world):
    second = await sync_to_async(make_class)(teacher=world["other_teacher"], students=[world["alice"]])
    await sync_to_async(services.session_start)(teacher=world["other_teacher"], klass=second)
    alice = await connect(world["alice"])
    await alice.send("MY_ATTENDANCE")
    await alice.error(Messages.WS_CLASS_ID_REQUIRED)
    await alice.send("MY_ATTENDANCE", {"classId": str(second.pk)})
    await alice.expect("MY_ATTENDANCE", status="not yet updated", classId=str(second.pk))
    await alice.close()


async def test_student_added_while_connected_receives_the_class_events(world):
    dave = await sync_to_async(make_student)(name="Dave")
    dave_client = await connect(dave)
    await sync_to_async(enrollment_add)(klass=world["klass"], student_id=str(dave.pk))
    await dave_client.nothing(0.1)  # a base client is told nothing about the roster change
    teacher = await connect(world["teacher"])
    await teacher.send("ATTENDANCE_MARKED", {"studentId": str(dave.pk), "status": "present"})
    await teacher.expect("ATTENDANCE_MARKED")
    await dave_client.expect("ATTENDANCE_MARKED", studentId=str(dave.pk), status="present")
    await dave_client.send("MY_ATTENDANCE")
    await dave_client.expect("MY_ATTENDANCE", status="present")
    await teacher.close()
    await dave_client.close()


# DONE failures ------------------------------------------------------------------------------


async def test_failed_done_keeps_the_session_and_a_later_done_succeeds(world, monkeypatch):
    teacher = await connect(world["teacher"])
    alice = await connect(world["alice"])
    original = AttendanceRecord.objects.bulk_create

    def broken(*args, **kwargs):
        raise DatabaseError("disk I/O error")

    monkeypatch.setattr(AttendanceRecord.objects, "bulk_create", broken)
    await teacher.send("DONE")
    await teacher.error(Messages.WS_PERSIST_FAILED)
    await alice.nothing()
    session = await sync_to_async(AttendanceSession.objects.get)(pk=world["session"].pk)
    assert session.is_active and session.ended_at is None
    assert await sync_to_async(AttendanceRecord.objects.filter(session=session).count)() == 0

    monkeypatch.setattr(AttendanceRecord.objects, "bulk_create", original)
    await teacher.send("DONE")
    await teacher.expect("DONE", total=2, absent=2)
    await alice.expect("DONE", total=2)
    await teacher.close()
    await alice.close()


# Extension ----------------------------------------------------------------------------------


async def test_subscribe_gives_a_snapshot_and_then_session_and_presence_events(world):
    teacher = await connect(world["teacher"])
    base_teacher = await connect(world["teacher"])
    await teacher.send("SUBSCRIBE")
    snapshot = await teacher.expect("SNAPSHOT", role="teacher")
    [entry] = snapshot["classes"]
    assert entry["classId"] == str(world["klass"].pk)
    assert entry["session"]["counts"] == {
        "present": 0,
        "late": 0,
        "excused": 0,
        "absent": 0,
        "notMarked": 2,
        "total": 2,
    }
    assert {s["name"] for s in entry["students"]} == {"Alice", "Bob"}
    assert entry["online"] == []

    alice = await connect(world["alice"])
    await teacher.expect("PRESENCE", userId=str(world["alice"].pk), online=True)
    await alice.close()
    await teacher.expect("PRESENCE", userId=str(world["alice"].pk), online=False)
    await base_teacher.nothing()

    await base_teacher.send("DONE")
    await base_teacher.expect("DONE")
    await teacher.expect("DONE")
    await sync_to_async(services.session_start)(teacher=world["teacher"], klass=world["klass"])
    await teacher.expect("SESSION_STARTED", classId=str(world["klass"].pk))
    await base_teacher.nothing()
    await teacher.close()
    await base_teacher.close()


async def test_student_snapshot_shows_only_their_own_status(world):
    await sync_to_async(services.attendance_mark)(
        session=world["session"], student_id=world["bob"].pk, status="present", by=world["teacher"]
    )
    alice = await connect(world["alice"])
    await alice.send("SUBSCRIBE")
    snapshot = await alice.expect("SNAPSHOT", role="student")
    [entry] = snapshot["classes"]
    assert entry["session"]["status"] == "not yet updated"
    assert "marks" not in entry["session"] and "students" not in entry
    await alice.close()


# Cookie sockets and origins ---------------------------------------------------------------


async def _session_cookie(user) -> bytes:
    from django.test import Client as HttpClient

    def login():
        client = HttpClient()
        client.force_login(user)
        return client.cookies["sessionid"].value

    return f"sessionid={await sync_to_async(login)()}".encode()


async def test_cookie_socket_from_the_site_is_accepted(world):
    cookie = await _session_cookie(world["teacher"])
    headers = [(b"cookie", cookie), (b"host", b"localhost"), (b"origin", b"http://localhost")]
    client = await Client.open(path="/ws", headers=headers)
    await client.send("TODAY_SUMMARY")
    await client.expect("TODAY_SUMMARY", total=0)
    await client.close()


@pytest.mark.parametrize("origin", [b"http://evil.example", b"null", None])
async def test_cookie_socket_from_a_foreign_or_missing_origin_is_refused(world, origin):
    cookie = await _session_cookie(world["teacher"])
    headers = [(b"cookie", cookie), (b"host", b"localhost")] + ([(b"origin", origin)] if origin else [])
    client = await Client.open(path="/ws", headers=headers)
    await client.error(Messages.WS_UNAUTHORIZED)
    await client.closed()


async def test_token_socket_with_a_foreign_origin_still_works(world):
    token = await sync_to_async(token_for)(world["teacher"])
    client = await Client.open(token, headers=[(b"origin", b"http://other.example")])
    await client.send("TODAY_SUMMARY")
    await client.expect("TODAY_SUMMARY")
    await client.close()


# Abuse ---------------------------------------------------------------------------------------


@override_settings(WS_RATE_LIMIT_PER_SECOND=1, WS_RATE_LIMIT_BURST=5)
async def test_flooding_socket_is_rate_limited_then_closed(world):
    client = await connect(world["alice"])
    for _ in range(5):
        await client.send("DANCE")
    for _ in range(5):
        await client.error(Messages.WS_UNKNOWN_EVENT)
    await client.send("DANCE")
    await client.error(Messages.WS_RATE_LIMITED)
    for _ in range(10):
        await client.send("DANCE")
    assert await client.closed() == 4008


@override_settings(WS_MAX_MESSAGE_BYTES=1000)
async def test_oversized_frame_is_refused_and_closed(world):
    client = await connect(world["teacher"])
    await client.send_raw(text='{"event":"TODAY_SUMMARY","data":{"pad":"' + "x" * 2000 + '"}}')
    await client.error(Messages.WS_TOO_LARGE)
    assert await client.closed() == 4009


@override_settings(WS_MAX_MESSAGE_BYTES=1000)
async def test_a_frame_over_the_limit_in_bytes_though_not_in_characters_is_refused(world):
    client = await connect(world["teacher"])
    pad = "é" * 600  # 600 characters, 1,200 bytes in UTF-8
    await client.send_raw(text='{"event":"TODAY_SUMMARY","data":{"pad":"' + pad + '"}}')
    await client.error(Messages.WS_TOO_LARGE)
    assert await client.closed() == 4009


@override_settings(WS_MAX_MESSAGE_BYTES=1000)
async def test_a_multibyte_frame_within_the_limit_is_handled(world):
    client = await connect(world["teacher"])
    await client.send_raw(text='{"event":"TODAY_SUMMARY","data":{"pad":"' + "é" * 400 + '"}}')
    await client.expect("TODAY_SUMMARY", classId=str(world["klass"].pk))
    await client.close()


async def test_a_connect_that_fails_leaves_no_group_behind(world, monkeypatch):
    from channels.layers import get_channel_layer

    from live import presence
    from live.fanout import LocalFanout, local_fanout

    join = LocalFanout.join

    async def class_join_breaks(self, group, member):
        if group.startswith("class."):  # the user's group is joined first, then this fails
            raise ConnectionError("layer went away")
        await join(self, group, member)

    monkeypatch.setattr(LocalFanout, "join", class_join_breaks)
    client = await connect(world["alice"])
    await client.error(Messages.WS_UNAVAILABLE)
    assert await client.closed() == 4013
    alice = str(world["alice"].pk)
    assert await eventually(lambda: not local_fanout(get_channel_layer()).members.get(f"user.{alice}"))
    # Its presence entry is dropped too (in the background, with the other sockets leaving meanwhile).
    for _ in range(100):
        if await presence.online_among([alice]) == []:
            break
        await asyncio.sleep(0.01)
    assert await presence.online_among([alice]) == []


async def test_a_handshake_while_the_channel_layer_reconnects_is_try_again(world, monkeypatch):
    # A socket of a class the worker already carries asks Redis nothing to join; it must still
    # not open while the worker's subscriptions are down, or it would miss what is sent meanwhile.
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    monkeypatch.setattr(layer, "carrying", lambda: False, raising=False)
    client = await connect(world["alice"])
    await client.error(Messages.WS_UNAVAILABLE)
    assert await client.closed() == 4013
    monkeypatch.setattr(layer, "carrying", lambda: True)
    client = await connect(world["alice"])
    await client.send("PING", {})
    await client.expect("PONG")
    await client.close()


async def test_a_handshake_that_cannot_record_presence_is_try_again(world, monkeypatch):
    from live import presence

    async def broken(self, user_id, channel):
        raise ConnectionError("Redis is unavailable")

    monkeypatch.setattr(type(presence.get_presence()), "claim", broken)
    client = await connect(world["alice"])
    await client.error(Messages.WS_UNAVAILABLE)
    assert await client.closed() == 4013


async def test_ping_is_answered_with_pong_to_the_sender_only(world):
    alice = await connect(world["alice"])
    bob = await connect(world["bob"])
    await alice.send("PING")
    await alice.expect("PONG")
    await bob.nothing()
    await alice.close()
    await bob.close()


async def test_opted_in_teacher_hears_roster_changes_and_a_base_teacher_does_not(world):
    from classes.services import enrollment_remove

    opted_in = await connect(world["teacher"])
    base = await connect(world["teacher"])
    await opted_in.send("SUBSCRIBE")
    await opted_in.expect("SNAPSHOT")
    dave = await sync_to_async(make_student)(name="Dave")
    await sync_to_async(enrollment_add)(klass=world["klass"], student_id=str(dave.pk))
    await opted_in.expect("ROSTER_CHANGED", classId=str(world["klass"].pk))
    await sync_to_async(enrollment_remove)(klass=world["klass"], student=dave)
    await opted_in.expect("ROSTER_CHANGED", classId=str(world["klass"].pk))
    await base.nothing()
    await opted_in.close()
    await base.close()


async def test_an_unexpected_failure_is_logged_answered_and_the_socket_stays_usable(world, monkeypatch, caplog):
    import live.consumers

    def crash(**kwargs):
        raise RuntimeError("secret detail")

    teacher = await connect(world["teacher"])
    alice = await connect(world["alice"])
    monkeypatch.setattr(live.consumers, "session_summary_at", crash)
    with caplog.at_level("ERROR", logger="attendance.ws"):
        await teacher.send("TODAY_SUMMARY")
        frame = await teacher.recv()
    assert frame == {"event": "ERROR", "data": {"message": Messages.INTERNAL}}
    assert "secret detail" not in str(frame)
    assert any(record.exc_info and "TODAY_SUMMARY" in record.getMessage() for record in caplog.records)
    await alice.nothing()
    monkeypatch.undo()
    await teacher.send("TODAY_SUMMARY")
    await teacher.expect("TODAY_SUMMARY", total=0)
    await teacher.close()
    await alice.close()


async def test_a_session_finished_automatically_is_announced_to_opted_in_clients_only(world, settings):
    from datetime import timedelta

    from django.utils import timezone

    settings.SESSION_MAX_HOURS = 12
    opted_in = await connect(world["teacher"])
    base = await connect(world["teacher"])
    await opted_in.send("SUBSCRIBE")
    await opted_in.expect("SNAPSHOT")
    await sync_to_async(AttendanceSession.objects.filter(pk=world["session"].pk).update)(
        started_at=timezone.now() - timedelta(hours=13)
    )

    assert await sync_to_async(services.session_finish_stale)() == 1

    await opted_in.expect(
        "SESSION_ENDED",
        classId=str(world["klass"].pk),
        automatic=True,
        message="Attendance persisted",
        present=0,
        absent=2,
        total=2,
    )
    await base.nothing()
    await opted_in.close()
    await base.close()


# Statuses: late and excused ------------------------------------------------------------


async def test_late_and_excused_marks_are_broadcast_counted_and_seen_by_the_student(world):
    teacher = await connect(world["teacher"])
    alice = await connect(world["alice"])
    bob = await connect(world["bob"])
    carol = await connect(world["carol"])
    alice_id, bob_id = str(world["alice"].pk), str(world["bob"].pk)

    await teacher.send("ATTENDANCE_MARKED", {"studentId": alice_id, "status": "late"})
    for client in (teacher, alice, bob):
        await client.expect("ATTENDANCE_MARKED", studentId=alice_id, status="late")
    await teacher.send("ATTENDANCE_MARKED", {"studentId": bob_id, "status": "excused"})
    for client in (teacher, alice, bob):
        await client.expect("ATTENDANCE_MARKED", studentId=bob_id, status="excused")

    await teacher.send("TODAY_SUMMARY")
    for client in (teacher, alice, bob):
        await client.expect("TODAY_SUMMARY", present=0, late=1, excused=1, absent=0, total=2)
    await alice.send("MY_ATTENDANCE")
    await alice.expect("MY_ATTENDANCE", status="late")
    await bob.send("MY_ATTENDANCE")
    await bob.expect("MY_ATTENDANCE", status="excused")

    await teacher.send("DONE")
    for client in (teacher, alice, bob):
        await client.expect("DONE", message="Attendance persisted", present=0, late=1, excused=1, absent=0, total=2)
    await carol.nothing()
    for client in (teacher, alice, bob, carol):
        await client.close()


async def test_a_base_client_sees_zero_late_and_excused(world):
    teacher = await connect(world["teacher"])
    await teacher.send("ATTENDANCE_MARKED", {"studentId": str(world["alice"].pk), "status": "present"})
    await teacher.expect("ATTENDANCE_MARKED", status="present")
    await teacher.send("TODAY_SUMMARY")
    summary = await teacher.expect("TODAY_SUMMARY", present=1, absent=0, total=1)
    assert (summary["late"], summary["excused"]) == (0, 0)
    await teacher.send("DONE")
    await teacher.expect("DONE", present=1, late=0, excused=0, absent=1, total=2)
    await teacher.close()


@pytest.mark.parametrize("status", ["tardy", "LATE", "Excused", "", None, 3])
async def test_any_other_status_is_invalid_and_records_nothing(world, status):
    teacher = await connect(world["teacher"])
    alice = await connect(world["alice"])
    await teacher.send("ATTENDANCE_MARKED", {"studentId": str(world["alice"].pk), "status": status})
    await teacher.error("Invalid status")
    await alice.nothing()
    assert not await sync_to_async(AttendanceRecord.objects.exists)()
    await teacher.close()
    await alice.close()


# Sessions routes: marks and corrections reach the sockets ---------------------------------


def _patch_record(teacher, klass, session, student, body: dict):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=token_for(teacher))
    url = f"/class/{klass.pk}/sessions/{session.pk}/records/{student.pk}"
    return client.patch(url, body, format="json")


async def test_a_mark_from_the_sessions_route_is_broadcast_without_its_note(world):
    teacher = await connect(world["teacher"])
    alice = await connect(world["alice"])
    bob = await connect(world["bob"])
    carol = await connect(world["carol"])

    response = await sync_to_async(_patch_record)(
        world["teacher"], world["klass"], world["session"], world["alice"], {"status": "late", "note": "Dentist"}
    )

    assert response.status_code == 200
    expected = {"studentId": str(world["alice"].pk), "status": "late", "classId": str(world["klass"].pk)}
    for client in (teacher, alice, bob):
        assert (await client.expect("ATTENDANCE_MARKED")) == expected
    await carol.nothing()
    for client in (teacher, alice, bob, carol):
        await client.close()


async def test_a_correction_tells_only_the_students_opted_in_sockets(world):
    klass, session = world["klass"], world["session"]
    await sync_to_async(services.attendance_mark)(
        session=session, student_id=str(world["alice"].pk), status="present", by=world["teacher"]
    )
    await sync_to_async(services.session_finish)(session=session)
    opted_in = await connect(world["alice"])
    await opted_in.send("SUBSCRIBE")
    await opted_in.expect("SNAPSHOT")
    base = await connect(world["alice"])
    classmate = await connect(world["bob"])
    await classmate.send("SUBSCRIBE")
    await classmate.expect("SNAPSHOT")
    teacher = await connect(world["teacher"])

    response = await sync_to_async(_patch_record)(
        world["teacher"], klass, session, world["alice"], {"status": "absent", "note": "Left early"}
    )

    assert response.status_code == 200
    data = await opted_in.expect("RECORD_CHANGED")
    assert data == {"classId": str(klass.pk), "sessionId": str(session.pk), "status": "absent"}
    for client in (base, classmate, teacher):
        await client.nothing()
    await base.send("MY_ATTENDANCE")
    await base.error(Messages.WS_NO_SESSION)
    for client in (opted_in, base, classmate, teacher):
        await client.close()


# Mark the rest, and undo ------------------------------------------------------------------------


async def test_mark_rest_marks_only_the_unmarked_and_undo_unmarks_them(world):
    base_alice = await connect(world["alice"])
    bob = await connect(world["bob"])
    await bob.send("SUBSCRIBE")
    await bob.expect("SNAPSHOT")
    carol = await connect(world["carol"])
    teacher = await connect(world["teacher"])  # opted in after the students: no PRESENCE frames to skip
    await teacher.send("SUBSCRIBE")
    await teacher.expect("SNAPSHOT")
    alice_id, bob_id = str(world["alice"].pk), str(world["bob"].pk)
    await teacher.send("ATTENDANCE_MARKED", {"studentId": alice_id, "status": "excused"})
    for client in (teacher, base_alice, bob):
        await client.expect("ATTENDANCE_MARKED", studentId=alice_id, status="excused")

    await teacher.send("MARK_REST")

    frames = [await teacher.recv(), await teacher.recv()]
    [mark] = [frame["data"] for frame in frames if frame["event"] == "ATTENDANCE_MARKED"]
    assert (mark["studentId"], mark["status"], mark["classId"]) == (bob_id, "present", str(world["klass"].pk))
    assert (mark["sessionId"], mark["seq"]) == (str(world["session"].pk), 2)  # one mark, then MARK_REST
    reply = next(frame["data"] for frame in frames if frame["event"] == "MARKED_REST")
    assert reply == {"classId": str(world["klass"].pk), "status": "present", "studentIds": [bob_id]}
    await base_alice.expect("ATTENDANCE_MARKED", studentId=bob_id, status="present")
    await bob.expect("ATTENDANCE_MARKED", studentId=bob_id, status="present")

    await teacher.send("UNMARK", {"studentIds": reply["studentIds"]})

    await teacher.expect("MARKS_UNDONE", studentIds=[bob_id])
    await bob.expect("MARKS_UNDONE", studentIds=[bob_id])
    await base_alice.nothing()
    await carol.nothing()
    await bob.send("MY_ATTENDANCE")
    await bob.expect("MY_ATTENDANCE", status="not yet updated")
    await teacher.send("TODAY_SUMMARY")
    await teacher.expect("TODAY_SUMMARY", present=0, excused=1, total=1)
    for client in (teacher, base_alice, bob, carol):
        await client.close()


async def test_undo_leaves_a_student_marked_otherwise_since(world):
    teacher = await connect(world["teacher"])
    alice_id = str(world["alice"].pk)
    await teacher.send("MARK_REST")
    await teacher.recv()
    await teacher.recv()
    await teacher.recv()  # two marks and the reply, in any order
    await teacher.send("ATTENDANCE_MARKED", {"studentId": alice_id, "status": "late"})
    await teacher.expect("ATTENDANCE_MARKED", status="late")

    await teacher.send("UNMARK", {"studentIds": [alice_id, str(world["bob"].pk)]})
    await teacher.send("TODAY_SUMMARY")

    await teacher.expect("TODAY_SUMMARY", present=0, late=1, total=1)
    record = await sync_to_async(AttendanceRecord.objects.get)(student=world["alice"])
    assert record.status == "late"
    await teacher.close()


@pytest.mark.parametrize(
    ("sender", "event", "data", "message"),
    [
        ("alice", "MARK_REST", {}, Messages.WS_TEACHER_ONLY),
        ("alice", "UNMARK", {"studentIds": []}, Messages.WS_TEACHER_ONLY),
        ("teacher", "MARK_REST", {"status": "tardy"}, "Invalid status"),
        ("teacher", "UNMARK", {}, Messages.INVALID_SCHEMA),
        ("teacher", "UNMARK", {"studentIds": "1"}, Messages.INVALID_SCHEMA),
        ("teacher", "UNMARK", {"studentIds": [1]}, Messages.INVALID_SCHEMA),
        ("other_teacher", "MARK_REST", {}, Messages.WS_NO_SESSION),
    ],
)
async def test_mark_rest_and_undo_refuse_what_they_cannot_do(world, sender, event, data, message):
    client = await connect(world[sender])
    alice = await connect(world["alice"])

    await client.send(event, data)

    await client.error(message)
    if sender != "alice":
        await alice.nothing()
    assert not await sync_to_async(AttendanceRecord.objects.exists)()
    await client.close()
    await alice.close()
