"""Random and malformed frames on `/ws`, driven through the real ASGI application in-process.

Whatever a teacher or a student sends, the consumer answers the sender with one
well-formed frame (a broadcast, an answer, or an ERROR with a contract message, never
`Internal server error`), the connection stays open and answers a valid frame
afterwards, and the teacher and a student of another class, connected meanwhile and
with a session of their own running, receive nothing at all.
"""

import json

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attendance import services
from attendance.models import AttendanceSession
from core.errors import Messages
from live.tests.wsclient import Client
from tests.factories import make_class, make_student, make_teacher, token_for

pytestmark = pytest.mark.django_db(transaction=True)

EVENTS = ["ATTENDANCE_MARKED", "TODAY_SUMMARY", "MY_ATTENDANCE", "DONE", "SUBSCRIBE"]
BROADCASTS = {"ATTENDANCE_MARKED", "TODAY_SUMMARY", "DONE"}
ANSWERS = {"MY_ATTENDANCE", "SNAPSHOT"}
# Extension events a socket the fuzz opted in (SUBSCRIBE) may hear at any moment.
BACKGROUND = {"PRESENCE", "SESSION_STARTED"}
# Every message an ERROR may carry in answer to a bad frame; Internal server error is a crash.
ERRORS = {
    Messages.WS_INVALID_FORMAT,
    Messages.WS_UNKNOWN_EVENT,
    Messages.WS_TEACHER_ONLY,
    Messages.WS_STUDENT_ONLY,
    Messages.WS_NO_SESSION,
    Messages.WS_CLASS_ID_REQUIRED,
    Messages.WS_INVALID_STATUS,
    Messages.WS_STUDENT_NOT_ENROLLED,
    Messages.WS_TOO_LARGE,
}
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**63 - 2, max_value=2**64)
    | st.integers(min_value=10**30, max_value=10**300)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
    | st.sampled_from(["", " ", "0", "-1", "1e3", "present ", "PRESENT", "\x00", "\u202e", "🙂", "null"])
)
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=10,
)


@pytest.fixture
def world():
    """Class A (teacher, Alice, Bob) and class B (its teacher, Carol), both with a running session."""
    teacher, alice, bob = make_teacher(), make_student(), make_student()
    klass = make_class(teacher=teacher, students=[alice, bob], name="Class A")
    other_teacher, carol = make_teacher(), make_student()
    other = make_class(teacher=other_teacher, students=[carol], name="Class B")
    services.session_start(teacher=teacher, klass=klass)
    services.session_start(teacher=other_teacher, klass=other)
    return {
        "teacher": teacher,
        "alice": alice,
        "klass": klass,
        "tokens": {
            name: token_for(user)
            for name, user in {
                "teacher": teacher,
                "student": alice,
                "other_teacher": other_teacher,
                "outsider": carol,
            }.items()
        },
        # Real ids of both classes, as strings and as numbers: the fuzz aims at them too.
        "ids": [value for obj in (alice, bob, carol, klass, other, teacher) for value in (str(obj.pk), obj.pk)],
    }


def frames(world) -> st.SearchStrategy[str]:
    """JSON-ish frames: right and wrong events, data of every shape, fields of every type."""
    field = st.sampled_from(world["ids"]) | st.sampled_from(["present", "absent"]) | values
    data = (
        st.none() | values | st.fixed_dictionaries({}, optional={"studentId": field, "status": field, "classId": field})
    )
    event = st.sampled_from(EVENTS) | st.text(max_size=20) | values
    shaped = st.fixed_dictionaries({"event": event}, optional={"data": data})
    encoded = st.builds(
        lambda message, ascii_only: json.dumps(message, ensure_ascii=ascii_only),
        shaped | values,
        st.booleans(),
    )
    return encoded | st.text(max_size=200)


async def open_world(world) -> dict[str, Client]:
    if not await sync_to_async(AttendanceSession.objects.filter(klass=world["klass"], is_active=True).exists)():
        await sync_to_async(services.session_start)(teacher=world["teacher"], klass=world["klass"])
    return {name: await Client.open(token) for name, token in world["tokens"].items()}


async def exchange(clients: dict[str, Client], sender: str, text: str) -> dict:
    """Send one frame; check the sender's one answer and the classmate's copy of a broadcast."""
    # Straight to the application: the test communicator refuses an empty text frame.
    await clients[sender].comm.send_input({"type": "websocket.receive", "text": text})
    reply = await clients[sender].recv()
    while reply["event"] in BACKGROUND:
        reply = await clients[sender].recv()
    assert set(reply) == {"event", "data"} and isinstance(reply["data"], dict), (text, reply)
    if reply["event"] == "ERROR":
        assert reply["data"]["message"] in ERRORS, (text, reply)
    elif reply["event"] in BROADCASTS:
        assert sender == "teacher", (text, reply)
        assert await clients["student"].recv() == reply, text
    else:
        assert reply["event"] in ANSWERS, (text, reply)
    return reply


async def still_usable(world, clients: dict[str, Client]) -> None:
    """A valid mark is broadcast to the class and read back; the other class heard nothing."""
    if not await sync_to_async(AttendanceSession.objects.filter(klass=world["klass"], is_active=True).exists)():
        # The fuzz may have sent a DONE that ended the session: start the next one, as a teacher would.
        await sync_to_async(services.session_start)(teacher=world["teacher"], klass=world["klass"])
    alice, class_id = str(world["alice"].pk), str(world["klass"].pk)
    await clients["teacher"].send("ATTENDANCE_MARKED", {"studentId": alice, "status": "present", "classId": class_id})
    for name in ("teacher", "student"):
        await expect_skipping_extension(clients[name], "ATTENDANCE_MARKED", studentId=alice, status="present")
    await clients["student"].send("MY_ATTENDANCE", {"classId": class_id})
    await expect_skipping_extension(clients["student"], "MY_ATTENDANCE", status="present")
    await clients["outsider"].nothing(0.05)
    await clients["other_teacher"].nothing(0.01)


async def expect_skipping_extension(client: Client, event: str, **fields) -> None:
    # A client the fuzz opted in with SUBSCRIBE also hears background extension events.
    frame = await client.recv()
    while frame["event"] in BACKGROUND:
        frame = await client.recv()
    assert frame["event"] == event, frame
    for key, value in fields.items():
        assert frame["data"][key] == value, frame


async def close_all(clients: dict[str, Client]) -> None:
    for client in clients.values():
        await client.close()


@FUZZ
@given(data=st.data())
def test_random_frames_never_crash_a_consumer_or_leak_to_another_class(world, data):
    batch = data.draw(st.lists(st.tuples(st.sampled_from(["teacher", "student"]), frames(world)), max_size=8))

    async def scenario():
        clients = await open_world(world)
        for sender, text in batch:
            await exchange(clients, sender, text)
        await still_usable(world, clients)
        await close_all(clients)

    async_to_sync(scenario)()


@FUZZ
@given(data=st.data())
def test_every_field_of_every_event_with_a_wrong_type_is_refused_cleanly(world, data):
    event = data.draw(st.sampled_from(EVENTS[:4]))
    sender = "student" if event == "MY_ATTENDANCE" else "teacher"
    wrong = st.one_of(values.filter(lambda v: not isinstance(v, str)), st.text(max_size=30))
    payload = data.draw(st.dictionaries(st.sampled_from(["studentId", "status", "classId"]), wrong, min_size=1))
    text = json.dumps({"event": event, "data": payload})

    async def scenario():
        clients = await open_world(world)
        reply = await exchange(clients, sender, text)
        if event == "ATTENDANCE_MARKED":
            # A mark needs a real student and status: junk in either is always refused.
            assert reply["event"] == "ERROR", (text, reply)
        await still_usable(world, clients)
        await close_all(clients)

    async_to_sync(scenario)()


PATHOLOGICAL = [
    pytest.param("[" * 50_000, id="deep array"),
    pytest.param(
        '{"event":"TODAY_SUMMARY","data":' + '{"a":' * 10_000 + "1" + "}" * 10_001,
        id="deep object in data",
    ),
    pytest.param('{"event":"ATTENDANCE_MARKED","data":{"studentId":' + "9" * 4301 + "}}", id="4,301-digit number"),
    pytest.param('{"event":"ATTENDANCE_MARKED","data":{"studentId":NaN,"status":Infinity}}', id="NaN and Infinity"),
    pytest.param('{"event":"MY_ATTENDANCE","data":{"classId":"\\ud800"}}', id="lone surrogate"),
    pytest.param('{"event":"DONE\\u0000","data":{}}', id="NUL in event"),
    pytest.param('{"event":"DONE","event":"TODAY_SUMMARY","data":{"classId":null}}', id="duplicate keys"),
    pytest.param("\ufeff" + '{"event":"TODAY_SUMMARY"}', id="byte order mark"),
    pytest.param('{"event":"TODAY_SUMMARY"} {"event":"DONE"}', id="trailing garbage"),
    pytest.param("", id="empty"),
]


@pytest.mark.parametrize("text", PATHOLOGICAL)
async def test_pathological_frames_get_an_answer_and_the_socket_stays_usable(world, text):
    clients = await open_world(world)
    await exchange(clients, "teacher", text)
    await still_usable(world, clients)
    await close_all(clients)
