"""The live pages: start, the teacher's session view, the student's status and history."""

import re

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from attendance import services
from attendance.models import AttendanceSession
from live.tests.wsclient import Client as SocketClient
from reports import history
from tests.factories import finished_session as finish
from tests.factories import make_class, make_student, make_teacher, signed_in, token_for


@pytest.fixture
def world(db):
    teacher = make_teacher(name="Ms Owner")
    ann, ben = make_student(name="Ann Archer"), make_student(name="Ben Baker")
    klass = make_class(teacher=teacher, students=[ann, ben], name="Chemistry")
    other_teacher = make_teacher(name="Mr Other")
    cleo = make_student(name="Cleo Clark")
    other_class = make_class(teacher=other_teacher, students=[cleo, ann], name="Drama")
    return {
        "teacher": teacher,
        "ann": ann,
        "ben": ben,
        "cleo": cleo,
        "klass": klass,
        "other_teacher": other_teacher,
        "other_class": other_class,
    }


def without_templates(html: str) -> str:
    """Drop <template> contents: they are blueprints for scripts, not what the page shows."""
    return re.sub(r"<template\b.*?</template>", "", html, flags=re.S)


def mark_buttons(html: str) -> dict[str, str]:
    """Return {student name: data-status} of the teacher's tap targets."""
    html = without_templates(html)
    return dict(
        (name, status)
        for status, name in re.findall(r'class="mark" data-status="([^"]*)".*?data-name>([^<]*)</span>', html, re.S)
    )


def status_cards(html: str) -> dict[str, tuple[str, str]]:
    """Return {class name: (data-state, label)} of the student's status cards."""
    html = without_templates(html)
    found = re.findall(
        r'class="status-card" data-class-id="[^"]*" data-state="([^"]*)">\s*<h3[^>]*>([^<]*)</h3>.*?'
        r"data-status-label>([^<]*)<",
        html,
        re.S,
    )
    return {name: (state, label) for state, name, label in found}


# Starting ---------------------------------------------------------------------------------


def test_start_opens_the_live_view_and_a_second_start_keeps_the_session(world):
    client = signed_in(world["teacher"])
    klass = world["klass"]

    first = client.post(f"/app/classes/{klass.pk}/start/")
    session = AttendanceSession.objects.get(klass=klass, is_active=True)
    services.attendance_mark(session=session, student_id=str(world["ann"].pk), status="present", by=world["teacher"])
    second = client.post(f"/app/classes/{klass.pk}/start/")

    assert first.status_code == second.status_code == 302
    assert first["Location"] == f"/app/classes/{klass.pk}/live/"
    assert AttendanceSession.objects.filter(klass=klass).count() == 1
    assert mark_buttons(client.get(first["Location"]).content.decode())["Ann Archer"] == "present"


# Teacher's live view --------------------------------------------------------------------------


def test_live_view_shows_every_student_with_marks_and_counters(world):
    klass = world["klass"]
    session = services.session_start(teacher=world["teacher"], klass=klass)
    services.attendance_mark(session=session, student_id=str(world["ben"].pk), status="absent", by=world["teacher"])

    response = signed_in(world["teacher"]).get(f"/app/classes/{klass.pk}/live/")

    html = response.content.decode()
    assert response.status_code == 200
    assert mark_buttons(html) == {"Ann Archer": "none", "Ben Baker": "absent"}
    assert "Cleo Clark" not in html
    counts = dict(re.findall(r'data-count="(\w+)">(\d+)<', html))
    assert counts == {"present": "0", "late": "0", "excused": "0", "absent": "1", "notMarked": "1"}
    assert f'data-class-id="{klass.pk}"' in html
    assert "data-finish-dialog" in html and "Finish and save" in html
    assert "/static/js/live-socket.js" in html and "/static/js/teacher-live.js" in html


def test_live_view_without_a_session_offers_start_and_the_last_result(world):
    klass = world["klass"]
    finish(klass, {world["ann"]: "present"})

    html = signed_in(world["teacher"]).get(f"/app/classes/{klass.pk}/live/").content.decode()

    assert "No session is running" in html
    assert f'action="/app/classes/{klass.pk}/start/"' in html
    assert "<strong>1 present</strong>, 1 absent of 2" in html
    assert mark_buttons(html) == {}


def test_live_view_is_for_the_owning_teacher_only(world):
    url = f"/app/classes/{world['klass'].pk}/live/"
    services.session_start(teacher=world["teacher"], klass=world["klass"])

    assert Client().get(url)["Location"] == f"/?next={url}"
    assert signed_in(world["ann"]).get(url).status_code == 403
    other = signed_in(world["other_teacher"]).get(url)
    assert other.status_code == 404
    assert b"Ann Archer" not in other.content


# Student's live page ----------------------------------------------------------------------


def test_student_page_shows_their_own_status_in_each_class(world):
    ann = world["ann"]
    session = services.session_start(teacher=world["teacher"], klass=world["klass"])
    client = signed_in(ann)

    waiting = status_cards(client.get("/app/live/").content.decode())
    services.attendance_mark(session=session, student_id=str(ann.pk), status="present", by=world["teacher"])
    present = status_cards(client.get("/app/live/").content.decode())
    services.attendance_mark(session=session, student_id=str(ann.pk), status="absent", by=world["teacher"])
    absent = status_cards(client.get("/app/live/").content.decode())

    assert waiting == {"Chemistry": ("waiting", "Not yet marked"), "Drama": ("idle", "No session right now")}
    assert present["Chemistry"] == ("present", "Present")
    assert absent["Chemistry"] == ("absent", "Absent")


def test_student_page_never_shows_classmates(world):
    session = services.session_start(teacher=world["teacher"], klass=world["klass"])
    services.attendance_mark(session=session, student_id=str(world["ben"].pk), status="present", by=world["teacher"])
    finish(world["other_class"], {world["cleo"]: "present"})

    html = signed_in(world["ann"]).get("/app/live/").content.decode()

    assert "Ben Baker" not in html and "Cleo Clark" not in html
    assert status_cards(html)["Chemistry"] == ("waiting", "Not yet marked")
    assert "/static/js/student-live.js" in html


def test_student_page_routes_teachers_home_and_needs_sign_in(world):
    assert signed_in(world["teacher"]).get("/app/live/")["Location"] == "/app/"
    assert Client().get("/app/live/")["Location"] == "/?next=/app/live/"


def test_student_without_classes_is_told_how_to_join(db):
    loner = make_student(email="loner@school.test")

    html = signed_in(loner).get("/app/live/").content.decode()

    assert "You are not in any class yet" in html
    assert "loner@school.test" in html
    assert "data-no-classes hidden" not in html


# History ---------------------------------------------------------------------------------


def test_student_history_lists_their_own_results_per_class(world):
    ann = world["ann"]
    finish(world["klass"], {ann: "present", world["ben"]: "present"}, days_ago=7)
    finish(world["klass"], {world["ben"]: "present"}, days_ago=1)  # Ann unmarked: absent
    finish(world["other_class"], {ann: "present"})

    html = signed_in(ann).get("/app/history/").content.decode()

    cards = dict(
        re.findall(r'data-history-class="[^"]*">\s*<header[^>]*>\s*<h3>([^<]*)</h3>(.*?)</article>', html, re.S)
    )
    assert set(cards) == {"Chemistry", "Drama"}
    assert "<strong>50%</strong> attended · 1 of 2 sessions" in cards["Chemistry"]
    assert re.findall(r"pill--(\w+)", cards["Chemistry"]) == ["absent", "present"]  # newest first
    assert re.findall(r"pill--(\w+)", cards["Drama"]) == ["present"]
    assert "Ben Baker" not in html and "Cleo Clark" not in html


def test_history_keeps_classes_the_student_left(world):
    ann = world["ann"]
    finish(world["klass"], {ann: "present"})
    world["klass"].enrollments.filter(student=ann).delete()

    html = signed_in(ann).get("/app/history/").content.decode()

    assert "Chemistry" in html and "No longer enrolled" in html


def test_history_is_a_student_page(world):
    assert signed_in(world["teacher"]).get("/app/history/").status_code == 403
    assert Client().get("/app/history/")["Location"] == "/?next=/app/history/"


def test_live_page_shows_the_latest_five_results_and_links_to_all(world):
    ann = world["ann"]
    for days in range(7, 0, -1):
        finish(world["klass"], {ann: "present"}, days_ago=days)

    html = signed_in(ann).get("/app/live/").content.decode()

    chemistry = html[html.index('data-history-class="' + str(world["klass"].pk)) :]
    assert chemistry.count("pill--present") == 5
    assert "See all 7 sessions" in chemistry


# Read functions ----------------------------------------------------------------------------


def test_student_rates_count_finished_sessions_only(world):
    klass, ann, ben = world["klass"], world["ann"], world["ben"]
    finish(klass, {ann: "present", ben: "absent"})
    finish(klass, {ann: "present", ben: "present"})
    running = services.session_start(teacher=world["teacher"], klass=klass)
    services.attendance_mark(session=running, student_id=str(ben.pk), status="present", by=world["teacher"])

    rates = history.student_rates(klass=klass, students=[ann, ben])

    assert (rates[str(ann.pk)].attended, rates[str(ann.pk)].sessions, rates[str(ann.pk)].rate) == (2, 2, 100)
    assert (rates[str(ben.pk)].attended, rates[str(ben.pk)].sessions, rates[str(ben.pk)].rate) == (1, 2, 50)


def test_chart_bars_are_proportional_and_oldest_first(world):
    klass, ann, ben = world["klass"], world["ann"], world["ben"]
    finish(klass, {ann: "present", ben: "present"}, days_ago=2)
    finish(klass, {ann: "present"}, days_ago=1)

    chart = history.attendance_chart(sessions=history.class_sessions(klass=klass))

    full, half = ({segment.status: segment.height for segment in bar.segments} for bar in chart.bars)
    assert [bar.value for bar in chart.bars] == ["2/2", "1/2"]
    assert "absent" not in full
    assert half["present"] == pytest.approx(full["present"] / 2, abs=0.2)
    assert half["absent"] == pytest.approx(half["present"], abs=0.2)
    full, half = chart.bars
    assert full.x < half.x
    assert history.attendance_chart(sessions=[]) is None


def test_dashboard_rows_count_rosters_and_sessions(world):
    finish(world["klass"], {})
    services.session_start(teacher=world["teacher"], klass=world["klass"])
    empty = make_class(teacher=world["teacher"], name="Art")

    rows = {row.klass.class_name: row for row in history.dashboard_rows(teacher=world["teacher"])}

    assert set(rows) == {"Art", "Chemistry"}
    assert (rows["Chemistry"].roster_size, rows["Chemistry"].sessions_held) == (2, 1)
    assert rows["Chemistry"].running is not None
    assert (rows["Art"].roster_size, rows["Art"].sessions_held, rows["Art"].running) == (0, 0, None)
    assert rows["Art"].klass == empty


# Roster removal reaches the student's open socket ---------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_removing_a_student_from_the_page_unsubscribes_their_socket():
    teacher = await sync_to_async(make_teacher)()
    ann = await sync_to_async(make_student)(name="Ann Archer")
    klass = await sync_to_async(make_class)(teacher=teacher, students=[ann], name="Chemistry")
    socket = await SocketClient.open(await sync_to_async(token_for)(ann))
    await socket.send("SUBSCRIBE")
    snapshot = await socket.expect("SNAPSHOT")
    assert [entry["className"] for entry in snapshot["classes"]] == ["Chemistry"]

    page = await sync_to_async(signed_in)(teacher)
    response = await sync_to_async(page.post)(f"/app/classes/{klass.pk}/students/{ann.pk}/remove/")

    assert response.status_code == 302
    await socket.expect("UNENROLLED", classId=str(klass.pk))
    await sync_to_async(services.session_start)(teacher=teacher, klass=klass)
    await socket.nothing()
    await socket.close()


# Late and excused ----------------------------------------------------------------------------


def test_live_view_and_student_page_show_late_and_excused(world):
    klass, ann, ben = world["klass"], world["ann"], world["ben"]
    session = services.session_start(teacher=world["teacher"], klass=klass)
    services.attendance_mark(session=session, student_id=str(ann.pk), status="late", by=world["teacher"])
    services.attendance_mark(session=session, student_id=str(ben.pk), status="excused", by=world["teacher"])

    teacher_html = signed_in(world["teacher"]).get(f"/app/classes/{klass.pk}/live/").content.decode()
    ann_html = signed_in(ann).get("/app/live/").content.decode()
    ben_html = signed_in(ben).get("/app/live/").content.decode()

    assert mark_buttons(teacher_html) == {"Ann Archer": "late", "Ben Baker": "excused"}
    counts = dict(re.findall(r'data-count="(\w+)">(\d+)<', teacher_html))
    assert counts == {"present": "0", "late": "1", "excused": "1", "absent": "0", "notMarked": "0"}
    assert status_cards(ann_html)["Chemistry"] == ("late", "Late")
    assert status_cards(ben_html)["Chemistry"] == ("excused", "Excused")


def test_history_shows_exact_statuses_and_counts_late_as_attended(world):
    ann = world["ann"]
    finish(world["klass"], {ann: "late"}, days_ago=3)
    finish(world["klass"], {ann: "excused"}, days_ago=2)
    finish(world["klass"], {ann: "present"}, days_ago=1)

    html = signed_in(ann).get("/app/history/").content.decode()

    assert re.findall(r"pill--(\w+)", html) == ["present", "excused", "late"]
    assert "<strong>67%</strong> attended · 2 of 3 sessions" in html
    rates = history.student_rates(klass=world["klass"], students=[ann])
    assert (rates[str(ann.pk)].attended, rates[str(ann.pk)].sessions) == (2, 3)


def test_chart_stacks_each_status_in_its_own_segment(world):
    klass, ann, ben = world["klass"], world["ann"], world["ben"]
    finish(klass, {ann: "late", ben: "excused"})

    [bar] = history.attendance_chart(sessions=history.class_sessions(klass=klass)).bars

    heights = {segment.status: segment.height for segment in bar.segments}
    assert set(heights) == {"late", "excused"}
    assert heights["late"] == pytest.approx(heights["excused"])
    assert bar.value == "1/2"
    assert "0 present, 1 late, 1 excused, 0 absent of 2" in bar.title
