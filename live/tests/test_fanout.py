"""Class broadcasts through one subscription per process (live.fanout.LocalFanout)."""

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from attendance import services
from live import broadcast
from live.fanout import LocalFanout, local_fanout
from live.tests.wsclient import Client, eventually
from tests.factories import make_class, make_student, make_teacher, token_for

pytestmark = pytest.mark.django_db(transaction=True)


class Member:
    """A socket stand-in that records what it is handed, or fails on every delivery."""

    def __init__(self, broken: bool = False) -> None:
        self.broken = broken
        self.got: list[str] = []

    async def deliver(self, message: dict) -> None:
        if self.broken:
            raise ConnectionResetError("socket went away")
        self.got.append(message["text"])


async def test_a_failing_socket_does_not_cost_its_classmates_the_broadcast():
    fanout = LocalFanout(get_channel_layer())
    first, broken, last = Member(), Member(broken=True), Member()
    for member in (first, broken, last):
        await fanout.join("class.x", member)
    for n in range(3):
        await broadcast.to_class("x", "TODAY_SUMMARY", {"n": n})
    await broadcast.to_class("y", "TODAY_SUMMARY", {"n": 99})  # another class: not ours
    await broadcast.to_class("x", "DONE", {})
    for _ in range(50):
        if len(last.got) == 4:
            break
        await asyncio.sleep(0.02)
    assert first.got == last.got
    frames = [json.loads(text) for text in last.got]
    assert [(f["event"], f["data"].get("n")) for f in frames] == [("TODAY_SUMMARY", n) for n in range(3)] + [
        ("DONE", None)
    ]
    for member in (first, broken, last):
        await fanout.leave("class.x", member)
    assert fanout.task is None


async def test_a_class_still_hears_marks_after_every_socket_left_and_one_came_back():
    teacher, student = await sync_to_async(make_teacher)(), await sync_to_async(make_student)()
    klass = await sync_to_async(make_class)(teacher=teacher, students=[student])
    await sync_to_async(services.session_start)(teacher=teacher, klass=klass)
    teacher_token, student_token = await sync_to_async(token_for)(teacher), await sync_to_async(token_for)(student)

    for round_ in range(2):
        marker, pupil = await Client.open(teacher_token), await Client.open(student_token)
        status = ("present", "absent")[round_]
        await marker.send("ATTENDANCE_MARKED", {"studentId": str(student.pk), "status": status})
        for client in (marker, pupil):
            await client.expect("ATTENDANCE_MARKED", studentId=str(student.pk), status=status)
        await marker.comm.disconnect()
        await pupil.comm.disconnect()


async def test_a_broadcast_sent_from_this_process_reaches_each_local_socket_once():
    layer = get_channel_layer()
    fanout = local_fanout(layer)
    member = Member()
    await fanout.join("class.once", member)
    await broadcast.to_class("once", "ATTENDANCE_MARKED", {"n": 1})
    assert len(member.got) == 1  # handed over before the publish, not after a round trip
    # What another process publishes comes through the subscription; the layer keeps order, so
    # once it is here the echo of our own broadcast has come back too, and was skipped.
    group = broadcast.class_group("once")
    await layer.group_send(group, {**broadcast._message(group, "ATTENDANCE_MARKED", {"n": 2}, extension=False)})
    for _ in range(100):
        if len(member.got) > 1:
            break
        await asyncio.sleep(0.01)
    assert [json.loads(text)["data"]["n"] for text in member.got] == [1, 2]
    await fanout.leave("class.once", member)


async def test_when_publishing_fails_this_process_sockets_still_have_the_broadcast(monkeypatch):
    layer = get_channel_layer()
    fanout = local_fanout(layer)
    member = Member()
    await fanout.join("class.down", member)

    async def redis_down(group, message):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(layer, "group_send", redis_down)
    with pytest.raises(broadcast.BroadcastFailed):
        await broadcast.to_class("down", "ATTENDANCE_MARKED", {"n": 1})
    monkeypatch.undo()
    assert [json.loads(text)["data"]["n"] for text in member.got] == [1]
    await fanout.leave("class.down", member)


class Recorder:
    """A socket stand-in that records whole messages."""

    def __init__(self) -> None:
        self.messages: list[dict] = []

    async def deliver(self, message: dict) -> None:
        self.messages.append(message)


async def sockets_of(*users: str) -> tuple[LocalFanout, list[Recorder]]:
    """This process's fan-out, with one recording socket joined to each user's group."""
    fanout = local_fanout(get_channel_layer())
    sockets = [Recorder() for _ in users]
    for user, socket in zip(users, sockets, strict=True):
        await fanout.join(broadcast.user_group(user), socket)
    return fanout, sockets


async def test_user_groups_share_one_subscription_and_each_socket_hears_only_its_users():
    fanout, (ada, bob) = await sockets_of("ada", "bob")
    assert list(fanout.carried) == ["users"]  # one subscription for every user of the process
    await broadcast.to_user_sockets("ada", {"type": broadcast.REVOKED})
    await broadcast.to_user("bob", "ROSTER_CHANGED", {"classId": "1"})
    assert await eventually(lambda: ada.messages and bob.messages)
    assert [m["type"] for m in ada.messages] == [broadcast.REVOKED]
    assert [json.loads(m["text"])["event"] for m in bob.messages] == ["ROSTER_CHANGED"]
    await fanout.leave(broadcast.user_group("ada"), ada)
    assert list(fanout.carried) == ["users"]  # bob still needs it
    await fanout.leave(broadcast.user_group("bob"), bob)
    assert fanout.carried == {}


async def test_a_burst_of_presence_for_a_teacher_is_one_message_in_order():
    fanout, (teacher, other) = await sockets_of("t1", "t2")
    for n in range(5):
        broadcast.to_user_soon("t1", "PRESENCE", {"userId": str(n), "online": True})
    broadcast.to_user_soon("t2", "PRESENCE", {"userId": "9", "online": False})
    assert await eventually(lambda: teacher.messages and other.messages)
    assert len(teacher.messages) == 1 and teacher.messages[0]["extension"] is True
    assert [json.loads(text)["data"]["userId"] for text in teacher.messages[0]["texts"]] == ["0", "1", "2", "3", "4"]
    assert [json.loads(text)["data"]["userId"] for text in other.messages[0]["texts"]] == ["9"]
    await fanout.leave(broadcast.user_group("t1"), teacher)
    await fanout.leave(broadcast.user_group("t2"), other)


async def test_a_burst_that_cannot_be_published_is_dropped_and_the_next_one_goes_out(monkeypatch, caplog):
    fanout, (teacher,) = await sockets_of("t3")
    layer = get_channel_layer()
    send = layer.group_send

    async def redis_down(group, message):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(layer, "group_send", redis_down)
    broadcast.to_user_soon("t3", "PRESENCE", {"userId": "1", "online": True})
    assert await eventually(lambda: "Broadcast to user.t3 failed" in caplog.text)
    monkeypatch.setattr(layer, "group_send", send)
    broadcast.to_user_soon("t3", "PRESENCE", {"userId": "2", "online": True})
    assert await eventually(lambda: teacher.messages)
    assert [json.loads(text)["data"]["userId"] for text in teacher.messages[0]["texts"]] == ["2"]
    await fanout.leave(broadcast.user_group("t3"), teacher)
