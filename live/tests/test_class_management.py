"""Sockets follow class management: archive, restore, delete, and a student leaving."""

import pytest
from asgiref.sync import sync_to_async

from classes import services
from live.tests.wsclient import Client
from tests.factories import make_class, make_student, make_teacher, token_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world():
    teacher = make_teacher(name="Teacher A")
    alice = make_student(name="Alice")
    klass = make_class(teacher=teacher, students=[alice], name="Class A")
    return {"teacher": teacher, "alice": alice, "klass": klass}


async def opted_in(user) -> Client:
    client = await Client.open(await sync_to_async(token_for)(user))
    await client.send("SUBSCRIBE")
    await client.expect("SNAPSHOT")
    return client


async def test_archive_takes_the_class_off_its_students_sockets_and_restore_brings_it_back(world):
    class_id = str(world["klass"].pk)
    alice = await opted_in(world["alice"])
    base = await Client.open(await sync_to_async(token_for)(world["alice"]))

    await sync_to_async(services.class_archive)(klass=world["klass"])
    await alice.expect("UNENROLLED", classId=class_id)

    await sync_to_async(services.class_restore)(klass=world["klass"])
    data = await alice.expect("ENROLLED")
    assert [entry["classId"] for entry in data["classes"]] == [class_id]
    await base.nothing()
    await alice.close()
    await base.close()


async def test_a_student_leaving_updates_the_teachers_roster_live(world):
    class_id = str(world["klass"].pk)
    alice = await opted_in(world["alice"])
    teacher = await opted_in(world["teacher"])

    await sync_to_async(services.enrollment_leave)(klass=world["klass"], student=world["alice"])

    await alice.expect("UNENROLLED", classId=class_id)
    await teacher.expect("ROSTER_CHANGED", classId=class_id)
    await teacher.send("SUBSCRIBE")
    snapshot = await teacher.expect("SNAPSHOT")
    assert snapshot["classes"][0]["students"] == []
    await teacher.close()
    await alice.close()


async def test_delete_takes_the_class_off_its_teachers_and_students_sockets(world):
    class_id = str(world["klass"].pk)
    alice = await opted_in(world["alice"])
    teacher = await opted_in(world["teacher"])
    stranger = await opted_in(await sync_to_async(make_student)(name="Zed"))

    await sync_to_async(services.class_delete)(klass=world["klass"])

    await alice.expect("UNENROLLED", classId=class_id)
    await teacher.expect("UNENROLLED", classId=class_id)
    await stranger.nothing()
    for client in (teacher, alice, stranger):
        await client.close()


async def test_a_rename_reaches_the_students_open_pages(world):
    alice = await opted_in(world["alice"])

    await sync_to_async(services.class_rename)(klass=world["klass"], class_name="Class A, renamed")

    data = await alice.expect("ENROLLED")
    assert [entry["className"] for entry in data["classes"]] == ["Class A, renamed"]
    await alice.close()
