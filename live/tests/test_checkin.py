"""What sockets hear of self check-in and claims: marks for everyone, flags and claims for the teacher only."""

import pytest
from asgiref.sync import sync_to_async
from rest_framework.test import APIClient

from attendance import services
from attendance.models import AttendanceSession
from live.tests.wsclient import Client
from tests.factories import make_class, make_student, make_teacher, token_for

pytestmark = pytest.mark.django_db(transaction=True)


def api_as(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=token_for(user))
    return client


@pytest.fixture
def world():
    teacher = make_teacher(name="Teacher A")
    alice, bob = make_student(name="Alice"), make_student(name="Bob")
    klass = make_class(teacher=teacher, students=[alice, bob], name="Class A")
    carol = make_student(name="Carol")
    other = make_class(teacher=make_teacher(), students=[carol], name="Class B")
    services.session_start(teacher=teacher, klass=klass)
    return {"teacher": teacher, "alice": alice, "bob": bob, "klass": klass, "carol": carol, "other": other}


async def connect(user, *, subscribe: bool) -> Client:
    client = await Client.open(await sync_to_async(token_for)(user))
    if subscribe:
        await client.send("SUBSCRIBE")
        await client.expect("SNAPSHOT")
    return client


@sync_to_async
def post(user, path: str, body: dict):
    return api_as(user).post(path, body, format="json")


@sync_to_async
def code_of(teacher, klass) -> str:
    return api_as(teacher).get(f"/class/{klass.pk}/check-in/code").json()["data"]["code"]


async def test_a_check_in_reaches_the_class_as_a_mark_and_the_teacher_with_its_flags(world):
    klass, teacher, alice = world["klass"], world["teacher"], world["alice"]
    class_id = str(klass.pk)
    # Students first: a teacher's opted-in socket hears students come online.
    base_bob = await connect(world["bob"], subscribe=False)
    live_bob = await connect(world["bob"], subscribe=True)
    carol = await connect(world["carol"], subscribe=True)
    base_teacher = await connect(teacher, subscribe=False)
    live_teacher = await connect(teacher, subscribe=True)

    assert (await post(teacher, "/attendance/check-in/open", {"classId": class_id})).status_code == 200
    # Opted-in sockets of the class learn that check-in is open; never the code.
    for client in (live_teacher, live_bob):
        assert await client.expect("CHECK_IN_STATE") == {"classId": class_id, "open": True}

    response = await post(alice, "/attendance/check-in", {"classId": class_id, "code": await code_of(teacher, klass)})
    assert response.status_code == 200
    session = await sync_to_async(AttendanceSession.objects.get)(klass=klass, is_active=True)
    # Numbered like a teacher's mark: the session's first write.
    mark = {
        "studentId": str(alice.pk),
        "status": "present",
        "classId": class_id,
        "sessionId": str(session.pk),
        "seq": 1,
    }
    for client in (base_teacher, base_bob, live_bob):
        assert (await client.recv()) == {"event": "ATTENDANCE_MARKED", "data": mark}
    assert (await live_teacher.expect("ATTENDANCE_MARKED")) == mark
    checked = await live_teacher.expect("CHECKED_IN", studentId=str(alice.pk), status="present")
    assert checked["checkIn"]["checkedIn"] == [str(alice.pk)]
    assert checked["checkIn"]["flags"] == {str(alice.pk): ["page-not-open"]}
    for client in (base_teacher, base_bob, live_bob, carol):
        await client.nothing()
    for client in (base_teacher, live_teacher, base_bob, live_bob, carol):
        await client.close()


async def test_a_claim_reaches_the_teachers_opted_in_sockets_only(world):
    klass, teacher, bob = world["klass"], world["teacher"], world["bob"]
    live_alice = await connect(world["alice"], subscribe=True)
    base_teacher = await connect(teacher, subscribe=False)
    live_teacher = await connect(teacher, subscribe=True)

    assert (await post(bob, "/attendance/claim", {"classId": str(klass.pk)})).status_code == 200
    assert await live_teacher.expect("CLAIM") == {"classId": str(klass.pk), "studentId": str(bob.pk)}
    await base_teacher.nothing()
    await live_alice.nothing()

    # The snapshot shows the claim until a mark settles it; the confirming mark reaches the class.
    await live_teacher.send("SUBSCRIBE")
    snapshot = await live_teacher.expect("SNAPSHOT")
    assert snapshot["classes"][0]["session"]["checkIn"]["claims"] == [str(bob.pk)]
    await live_teacher.send("ATTENDANCE_MARKED", {"studentId": str(bob.pk), "status": "present"})
    await live_teacher.expect("ATTENDANCE_MARKED", studentId=str(bob.pk), status="present")
    await live_teacher.send("SUBSCRIBE")
    snapshot = await live_teacher.expect("SNAPSHOT")
    assert snapshot["classes"][0]["session"]["checkIn"]["claims"] == []
    for client in (base_teacher, live_teacher, live_alice):
        await client.close()


async def test_a_students_snapshot_says_whether_check_in_is_open_and_carries_no_code(world):
    klass, teacher = world["klass"], world["teacher"]
    await post(teacher, "/attendance/check-in/open", {"classId": str(klass.pk)})
    code = await code_of(teacher, klass)
    alice = await connect(world["alice"], subscribe=False)
    await alice.send("SUBSCRIBE")
    frame = await alice.comm.receive_from(timeout=3)
    assert code not in frame
    await alice.close()
    alice = await connect(world["alice"], subscribe=False)
    await alice.send("SUBSCRIBE")
    session = (await alice.expect("SNAPSHOT"))["classes"][0]["session"]
    assert session["checkIn"] == {"open": True, "claimed": False}
    await alice.close()


async def test_a_check_in_from_an_open_page_is_not_flagged_for_presence(world):
    klass, teacher, alice = world["klass"], world["teacher"], world["alice"]
    live_teacher = await connect(teacher, subscribe=True)
    alice_page = await connect(alice, subscribe=True)
    await live_teacher.expect("PRESENCE", userId=str(alice.pk), online=True)
    await post(teacher, "/attendance/check-in/open", {"classId": str(klass.pk)})
    await live_teacher.expect("CHECK_IN_STATE")
    await post(alice, "/attendance/check-in", {"classId": str(klass.pk), "code": await code_of(teacher, klass)})
    await live_teacher.expect("ATTENDANCE_MARKED")
    checked = await live_teacher.expect("CHECKED_IN", studentId=str(alice.pk))
    assert checked["checkIn"]["flags"] == {}
    await live_teacher.close()
    await alice_page.close()
