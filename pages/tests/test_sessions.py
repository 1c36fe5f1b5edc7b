"""The teacher's session page: a finished session's records, corrected with status and note."""

import re
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import Client

from attendance import services
from attendance.models import AttendanceRecord, AttendanceSession, RecordChange
from tests.factories import finished_session, make_class, make_student, make_teacher, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    teacher = make_teacher(name="Ms Owner")
    ann, ben = make_student(name="Ann Archer"), make_student(name="Ben Baker")
    klass = make_class(teacher=teacher, students=[ann, ben], name="Chemistry")
    session = finished_session(klass, {ann: "present"})  # Ben unmarked: absent
    return {"teacher": teacher, "ann": ann, "ben": ben, "klass": klass, "session": session}


def page_url(world) -> str:
    return f"/app/classes/{world['klass'].pk}/sessions/{world['session'].pk}/"


def save_url(world, student) -> str:
    return f"{page_url(world)}records/{student.pk}/"


def cards(html: str) -> dict[str, str]:
    """Return {student name: the status pill} of the page's record cards."""
    found = re.findall(
        r'class="record__name">([^<]*)</h2>\s*<span data-record-status><span class="pill pill--(\w+)"', html
    )
    return dict(found)


def post(client: Client, url: str, data: dict):
    client.get("/app/")
    return client.post(url, {**data, "csrfmiddlewaretoken": client.cookies[settings.CSRF_COOKIE_NAME].value})


def test_the_class_history_links_to_the_session_page(world):
    html = signed_in(world["teacher"]).get(f"/app/classes/{world['klass'].pk}/").content.decode()
    assert f'href="{page_url(world)}"' in html


def test_the_session_page_shows_every_record_and_the_counts(world):
    html = signed_in(world["teacher"]).get(page_url(world)).content.decode()

    assert cards(html) == {"Ann Archer": "present", "Ben Baker": "absent"}
    assert dict(re.findall(r'data-session-count="(\w+)">(\d+)<', html)) == {
        "present": "1",
        "late": "0",
        "excused": "0",
        "absent": "1",
        "total": "2",
    }
    assert "A change here is a correction" in html
    assert f'action="{save_url(world, world["ben"])}"' in html


def test_a_correction_from_the_page_is_saved_logged_and_shown(world):
    ben, teacher = world["ben"], world["teacher"]
    client = signed_in(teacher)
    prefix = f"r{ben.pk}"

    response = post(client, save_url(world, ben), {f"{prefix}-status": "late", f"{prefix}-note": "Bus was late"})

    assert response.status_code == 302
    assert response["Location"] == f"{page_url(world)}#student-{ben.pk}"
    html = client.get(page_url(world)).content.decode()
    assert cards(html) == {"Ann Archer": "present", "Ben Baker": "late"}
    assert "Corrected Ben Baker: late." in html
    assert "Note: Bus was late" in html
    assert re.search(r"1 correction</summary>.*?Ms Owner changed absent to late — “Bus was late”", html, re.S)
    session = AttendanceSession.objects.get(pk=world["session"].pk)
    assert (session.present_count, session.late_count, session.absent_count) == (1, 1, 0)
    assert RecordChange.objects.get().by == teacher


def test_a_note_too_long_is_explained_and_changes_nothing(world):
    ben = world["ben"]
    prefix = f"r{ben.pk}"

    response = post(
        signed_in(world["teacher"]), save_url(world, ben), {f"{prefix}-status": "excused", f"{prefix}-note": "x" * 501}
    )

    assert response.status_code == 400
    assert "Note too long, at most 500 characters" in response.content.decode()
    assert AttendanceRecord.objects.get(session=world["session"], student=ben).status == "absent"
    assert not RecordChange.objects.exists()


def test_an_unknown_status_is_refused_and_changes_nothing(world):
    ben = world["ben"]
    prefix = f"r{ben.pk}"

    response = post(signed_in(world["teacher"]), save_url(world, ben), {f"{prefix}-status": "tardy"})

    assert response.status_code == 400
    assert AttendanceRecord.objects.get(session=world["session"], student=ben).status == "absent"


def test_other_teachers_students_and_strangers_get_no_session_page(world):
    other = make_teacher()
    other_class = make_class(teacher=other, students=[world["ann"]], name="Drama")
    foreign = finished_session(other_class, {world["ann"]: "present"})
    prefix = f"r{world['ann'].pk}"

    assert signed_in(other).get(page_url(world)).status_code == 404
    assert signed_in(world["ann"]).get(page_url(world)).status_code == 403
    assert Client().get(page_url(world))["Location"] == f"/?next={page_url(world)}"
    wrong_class = f"/app/classes/{world['klass'].pk}/sessions/{foreign.pk}/"
    assert signed_in(world["teacher"]).get(wrong_class).status_code == 404
    response = post(signed_in(other), save_url(world, world["ann"]), {f"{prefix}-status": "absent"})
    assert response.status_code == 404
    assert AttendanceRecord.objects.get(session=world["session"], student=world["ann"]).status == "present"


def test_a_student_never_in_the_session_is_a_404(world):
    newcomer = make_student()
    world["klass"].enrollments.create(student=newcomer)
    prefix = f"r{newcomer.pk}"

    response = post(signed_in(world["teacher"]), save_url(world, newcomer), {f"{prefix}-status": "present"})

    assert response.status_code == 404
    assert not AttendanceRecord.objects.filter(student=newcomer).exists()


def test_on_a_running_session_the_page_marks(world):
    klass, ann = world["klass"], world["ann"]
    running = services.session_start(teacher=world["teacher"], klass=klass)
    client = signed_in(world["teacher"])
    url = f"/app/classes/{klass.pk}/sessions/{running.pk}/"

    before = client.get(url).content.decode()
    post(client, f"{url}records/{ann.pk}/", {f"r{ann.pk}-status": "excused", f"r{ann.pk}-note": "Sports day"})

    assert cards(before) == {"Ann Archer": "none", "Ben Baker": "none"}
    assert "this session is running" in before.lower()
    record = AttendanceRecord.objects.get(session=running, student=ann)
    assert (record.status, record.note) == ("excused", "Sports day")
    assert not RecordChange.objects.exists()


def test_the_session_page_shows_times_in_the_class_time_zone(world):
    klass = world["klass"]
    klass.time_zone = "Asia/Tokyo"
    klass.save(update_fields=["time_zone"])
    started = world["session"].started_at.astimezone(ZoneInfo("Asia/Tokyo"))

    html = signed_in(world["teacher"]).get(page_url(world)).content.decode()

    assert "times in Asia/Tokyo" in html
    assert f">{started.day} {started:%b %Y, %H:%M}</time>" in html
