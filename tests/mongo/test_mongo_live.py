"""A roll call over the real `/ws` on MongoDB, with channel-layer messages serialized as on Redis."""

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer

from attendance import services
from attendance.models import AttendanceRecord, Status
from classes.services import enrollment_add
from core.errors import Messages
from live.tests.wsclient import Client
from tests import factories
from tests.mongo.layers import MsgpackInMemoryChannelLayer

pytestmark = [pytest.mark.mongodb, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def msgpack_layer(settings):
    """Every channel-layer message must survive msgpack (an ObjectId does not)."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "tests.mongo.layers.MsgpackInMemoryChannelLayer"}}
    assert isinstance(get_channel_layer(), MsgpackInMemoryChannelLayer)


def roll_call():
    teacher = factories.make_teacher(name="Ada")
    alan, grace = factories.make_student(name="Alan"), factories.make_student(name="Grace")
    klass = factories.make_class(teacher=teacher, students=[alan, grace], name="Maths")
    services.session_start(teacher=teacher, klass=klass)
    return teacher, alan, grace, klass


async def connect(user) -> Client:
    return await Client.open(await sync_to_async(factories.token_for)(user))


async def test_a_roll_call_over_the_websocket(msgpack_layer):
    teacher, alan, grace, klass = await sync_to_async(roll_call)()
    class_id = str(klass.pk)
    t, a = await connect(teacher), await connect(alan)

    await t.send("ATTENDANCE_MARKED", {"studentId": str(alan.pk), "status": "present"})
    for client in (t, a):
        await client.expect("ATTENDANCE_MARKED", studentId=str(alan.pk), status="present", classId=class_id)

    await a.send("MY_ATTENDANCE")
    await a.expect("MY_ATTENDANCE", status="present", classId=class_id)

    await t.send("TODAY_SUMMARY")
    for client in (t, a):
        await client.expect("TODAY_SUMMARY", present=1, absent=0, total=1, classId=class_id)

    for raw in ("someid", "507f1f77bcf86cd799439011"):
        await t.send("ATTENDANCE_MARKED", {"studentId": raw, "status": "present"})
        await t.error(Messages.WS_STUDENT_NOT_ENROLLED)
    await t.send("ATTENDANCE_MARKED", {"studentId": str(alan.pk), "status": "present", "classId": "someid"})
    await t.error(Messages.WS_NO_SESSION)

    await t.send("DONE")
    for client in (t, a):
        await client.expect("DONE", message="Attendance persisted", present=1, absent=1, total=2, classId=class_id)
    records = await sync_to_async(
        lambda: dict(AttendanceRecord.objects.filter(session__klass=klass).values_list("student_id", "status"))
    )()
    assert records == {alan.pk: Status.PRESENT, grace.pk: Status.ABSENT}

    await t.send("ATTENDANCE_MARKED", {"studentId": str(alan.pk), "status": "absent"})
    await t.error(Messages.WS_NO_SESSION)
    await t.nothing()
    await a.nothing()
    await t.close()
    await a.close()


async def test_a_student_added_while_connected_hears_the_class(msgpack_layer):
    teacher, _, _, klass = await sync_to_async(roll_call)()
    carol = await sync_to_async(factories.make_student)(name="Carol")
    t, c = await connect(teacher), await connect(carol)

    # The enrollment announcement crosses the channel layer with string ids.
    await sync_to_async(enrollment_add)(klass=klass, student_id=str(carol.pk))
    await c.nothing()  # joining the class is silent for a base-contract client
    await t.send("ATTENDANCE_MARKED", {"studentId": str(carol.pk), "status": "present"})
    for client in (t, c):
        await client.expect("ATTENDANCE_MARKED", studentId=str(carol.pk), status="present", classId=str(klass.pk))
    await t.close()
    await c.close()


async def test_the_opt_in_snapshot_carries_string_ids(msgpack_layer):
    teacher, alan, _, klass = await sync_to_async(roll_call)()
    session = await sync_to_async(lambda: klass.sessions.get(is_active=True))()
    await sync_to_async(services.attendance_mark)(
        session=session, student_id=str(alan.pk), status="present", by=teacher
    )
    a = await connect(alan)
    t = await connect(teacher)
    await t.send("SUBSCRIBE")
    snapshot = await t.expect("SNAPSHOT", userId=str(teacher.pk), role="teacher")
    (entry,) = snapshot["classes"]
    assert entry["classId"] == str(klass.pk)
    assert entry["session"]["marks"] == {str(alan.pk): "present"}
    assert str(alan.pk) in entry["online"]
    await t.close()
    await a.close()
