"""The session admin: read-only once ended, record corrections while running, CSV, finishing."""

import csv
import io
import re

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from accounts.models import User
from attendance import services
from attendance.models import AttendanceRecord, AttendanceSession
from live.tests.wsclient import Client as SocketClient
from tests.factories import make_class, make_student, make_teacher, token_for

CHANGELIST = "/admin/attendance/attendancesession/"


def admin_client() -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser(email="root@school.test", password="admin-pass-1"))
    return client


@pytest.fixture
def world(db):
    teacher = make_teacher()
    ann, ben = make_student(name="Ann Archer"), make_student(name="Ben Baker")
    klass = make_class(teacher=teacher, students=[ann, ben], name="Latin")
    ended = services.session_start(teacher=teacher, klass=klass)
    services.attendance_mark(session=ended, student_id=str(ann.pk), status="present", by=teacher)
    services.session_finish(session=ended)
    running = services.session_start(teacher=teacher, klass=klass)
    services.attendance_mark(session=running, student_id=str(ben.pk), status="present", by=teacher)
    return {"teacher": teacher, "ann": ann, "ben": ben, "klass": klass, "ended": ended, "running": running}


def inline_form(session: AttendanceSession, changes: dict) -> dict:
    """The change form's POST body with the records inline, `changes` applied to row 0."""
    records = list(AttendanceRecord.objects.filter(session=session).order_by("pk"))
    body = {
        "records-TOTAL_FORMS": str(len(records)),
        "records-INITIAL_FORMS": str(len(records)),
        "records-MIN_NUM_FORMS": "0",
        "records-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    for index, record in enumerate(records):
        body[f"records-{index}-id"] = str(record.pk)
        body[f"records-{index}-session"] = str(session.pk)
        body[f"records-{index}-student"] = str(record.student_id)
        body[f"records-{index}-status"] = record.status
    body.update(changes)
    return body


def test_an_ended_sessions_records_are_read_only(world):
    ended = world["ended"]
    client = admin_client()
    url = f"{CHANGELIST}{ended.pk}/change/"

    page = client.get(url).content.decode()
    client.post(url, inline_form(ended, {"records-0-status": "absent"}))

    assert 'name="records-0-status"' not in page
    assert "Ann Archer" in page and "Ben Baker" in page
    assert dict(AttendanceRecord.objects.filter(session=ended).values_list("student__name", "status")) == {
        "Ann Archer": "present",
        "Ben Baker": "absent",
    }


def test_a_running_sessions_records_can_be_corrected(world):
    running = world["running"]
    client = admin_client()
    url = f"{CHANGELIST}{running.pk}/change/"

    page = client.get(url).content.decode()
    response = client.post(url, inline_form(running, {"records-0-status": "absent"}))

    assert 'name="records-0-status"' in page
    assert response.status_code == 302
    assert AttendanceRecord.objects.get(session=running, student=world["ben"]).status == "absent"


def test_session_fields_are_never_edited_by_hand_and_none_are_added(world):
    running = world["running"]
    client = admin_client()

    page = client.get(f"{CHANGELIST}{running.pk}/change/").content.decode()
    client.post(f"{CHANGELIST}{running.pk}/change/", inline_form(running, {"is_active": ""}))

    assert 'name="is_active"' not in page and 'name="started_at_0"' not in page
    assert AttendanceSession.objects.get(pk=running.pk).is_active
    assert client.get(f"{CHANGELIST}add/").status_code == 403


def test_changelist_filters_by_running(world):
    response = admin_client().get(CHANGELIST, {"is_active__exact": "0"})

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [world["ended"]]


def test_csv_action_exports_the_selected_sessions(world):
    response = admin_client().post(CHANGELIST, {"action": "export_csv", "_selected_action": [str(world["ended"].pk)]})

    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert rows[0][:4] == ["class", "session_started_at", "session_ended_at", "student_name"]
    assert [(row[0], row[3], row[5]) for row in rows[1:]] == [
        ("Latin", "Ann Archer", "present"),
        ("Latin", "Ben Baker", "absent"),
    ]


@pytest.mark.django_db(transaction=True)
async def test_finish_action_persists_and_tells_the_class():
    teacher = await sync_to_async(make_teacher)()
    ann, ben = await sync_to_async(make_student)(), await sync_to_async(make_student)()
    klass = await sync_to_async(make_class)(teacher=teacher, students=[ann, ben], name="Latin")
    session = await sync_to_async(services.session_start)(teacher=teacher, klass=klass)
    await sync_to_async(services.attendance_mark)(session=session, student_id=str(ann.pk), status="present", by=teacher)
    socket = await SocketClient.open(await sync_to_async(token_for)(ben))
    client = await sync_to_async(admin_client)()

    response = await sync_to_async(client.post)(
        CHANGELIST, {"action": "finish_sessions", "_selected_action": [str(session.pk)]}
    )

    assert response.status_code == 302
    await socket.expect("DONE", message="Attendance persisted", present=1, absent=1, total=2, classId=str(klass.pk))
    ended = await AttendanceSession.objects.aget(pk=session.pk)
    assert not ended.is_active and ended.total_count == 2
    await socket.close()


class DownLayer:
    """A channel layer whose server is unreachable, as Redis during an outage."""

    async def group_send(self, group, message):
        raise ConnectionError("Redis is down")


def test_finish_action_finishes_every_selected_session_when_live_updates_are_down(db, monkeypatch):
    teacher = make_teacher()
    classes = [make_class(teacher=teacher, students=[make_student()], name=name) for name in ("Latin", "Greek")]
    sessions = [services.session_start(teacher=teacher, klass=klass) for klass in classes]
    monkeypatch.setattr("live.broadcast.get_channel_layer", DownLayer)

    response = admin_client().post(
        CHANGELIST, {"action": "finish_sessions", "_selected_action": [str(s.pk) for s in sessions]}, follow=True
    )

    assert response.status_code == 200
    assert "Finished 2 sessions." in response.content.decode()
    assert not AttendanceSession.objects.filter(is_active=True).exists()


def test_changelist_shows_late_and_excused_counts(db):
    teacher = make_teacher()
    ann, ben = make_student(name="Ann Archer"), make_student(name="Ben Baker")
    klass = make_class(teacher=teacher, students=[ann, ben], name="Greek")
    session = services.session_start(teacher=teacher, klass=klass)
    services.attendance_mark(session=session, student_id=str(ann.pk), status="late", by=teacher)
    services.attendance_mark(session=session, student_id=str(ben.pk), status="excused", by=teacher)
    services.session_finish(session=session)

    page = admin_client().get(CHANGELIST).content.decode()

    assert "column-late_count" in page and "column-excused_count" in page
    assert re.search(r'field-late_count">1<', page) and re.search(r'field-excused_count">1<', page)


def test_the_admin_lists_and_edits_class_policies(world):
    from attendance.models import ClassPolicy
    from attendance.policy import policy_update

    policy = policy_update(klass=world["klass"], required_rate=80)
    client = admin_client()

    listing = client.get("/admin/attendance/classpolicy/").content.decode()
    assert "Latin" in listing and ">80<" in listing

    response = client.post(
        f"/admin/attendance/classpolicy/{policy.pk}/change/",
        {"klass": world["klass"].pk, "required_rate": "90", "late_credit": "50"},
    )
    assert response.status_code == 302
    policy.refresh_from_db()
    assert (policy.required_rate, policy.late_credit, policy.excused_left_out) == (90, 50, False)
    assert ClassPolicy.objects.count() == 1


def test_the_admin_refuses_a_policy_out_of_range(world):
    from attendance.models import ClassPolicy

    response = admin_client().post(
        "/admin/attendance/classpolicy/add/", {"klass": world["klass"].pk, "required_rate": "120", "late_credit": "50"}
    )

    assert response.status_code == 200  # the form again, with its error
    assert not ClassPolicy.objects.exists()
