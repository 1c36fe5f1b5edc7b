"""CATCH_UP: a client that holds a session at some `seq` asks for what it missed."""

import pytest
from asgiref.sync import sync_to_async

from attendance import services
from core.errors import Messages
from live.tests.wsclient import Client
from tests.factories import make_class, make_teacher, token_for

pytestmark = pytest.mark.django_db(transaction=True)


async def connect(user) -> Client:
    return await Client.open(await sync_to_async(token_for)(user))


async def marked(room, student, status):
    await sync_to_async(services.attendance_mark)(
        session=room["session"], student_id=str(student.pk), status=status, by=room["teacher"]
    )


async def test_a_reconnecting_teacher_gets_every_mark_made_while_away_and_who_is_online(room):
    class_id, session_id = str(room["klass"].pk), str(room["session"].pk)
    await marked(room, room["alice"], "present")  # seq 1: the page had this one
    await marked(room, room["bob"], "absent")  # 2 and 3: made while its socket was down
    await marked(room, room["alice"], "absent")
    bob = await connect(room["bob"])
    teacher = await connect(room["teacher"])
    await teacher.send("CATCH_UP", {"classId": class_id, "sessionId": session_id, "since": 1})
    answer = await teacher.expect("CATCH_UP", classId=class_id, sessionId=session_id, seq=3)
    assert answer["marks"] == {str(room["alice"].pk): "absent", str(room["bob"].pk): "absent"}
    assert answer["online"] == [str(room["bob"].pk)]
    await bob.nothing()
    # CATCH_UP opted the socket in: it now hears the extension's events.
    await bob.close()
    await teacher.expect("PRESENCE", userId=str(room["bob"].pk), online=False)
    await teacher.close()


async def test_a_student_catching_up_sees_only_their_own_mark(room):
    class_id, session_id = str(room["klass"].pk), str(room["session"].pk)
    await marked(room, room["alice"], "present")
    await marked(room, room["bob"], "absent")
    alice = await connect(room["alice"])
    await alice.send("CATCH_UP", {"classId": class_id, "sessionId": session_id, "since": 0})
    answer = await alice.expect("CATCH_UP", seq=2)
    assert answer["marks"] == {str(room["alice"].pk): "present"} and "online" not in answer
    await alice.close()


async def test_a_session_that_ended_meanwhile_is_answered_with_a_fresh_entry(room):
    class_id, session_id = str(room["klass"].pk), str(room["session"].pk)
    await sync_to_async(services.session_finish)(session=room["session"])
    alice = await connect(room["alice"])
    await alice.send("CATCH_UP", {"classId": class_id, "sessionId": session_id, "since": 0})
    answer = await alice.expect("CATCH_UP", classId=class_id, sessionId=None, seq=None)
    assert answer["snapshot"] == {"classId": class_id, "className": "Biology", "session": None}
    await alice.close()


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"classId": 5, "since": 0},
        {"classId": "1", "sessionId": 3, "since": 0},
        {"classId": "1", "since": -1},
        {"classId": "1", "since": "4"},
        {"classId": "1", "since": True},
    ],
)
async def test_a_malformed_catch_up_is_invalid_format_and_the_socket_stays_usable(room, data):
    teacher = await connect(room["teacher"])
    await teacher.send("CATCH_UP", data)
    await teacher.error(Messages.WS_INVALID_FORMAT)
    await teacher.send("TODAY_SUMMARY")
    await teacher.expect("TODAY_SUMMARY", total=0)
    await teacher.close()


async def test_catching_up_on_someone_elses_class_is_class_not_found(room):
    stranger = await sync_to_async(make_teacher)()
    their = await sync_to_async(make_class)(teacher=stranger, students=[], name="Theirs")
    alice = await connect(room["alice"])
    for class_id in (str(their.pk), "someid"):
        await alice.send("CATCH_UP", {"classId": class_id, "sessionId": None, "since": 0})
        await alice.error(Messages.CLASS_NOT_FOUND)
    await alice.close()
