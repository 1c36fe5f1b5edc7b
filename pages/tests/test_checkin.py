"""Self check-in on the site: the teacher's switch and projector, the student's code box and "I'm here"."""

import re

import pytest

from attendance import checkin, services
from attendance.models import AttendanceRecord, CheckInWindow
from pages.checkin import DEVICE_COOKIE
from tests.factories import make_class, make_student, make_teacher, signed_in

pytestmark = pytest.mark.django_db(transaction=True)

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def world():
    teacher = make_teacher(name="Ms Owner")
    ann, ben = make_student(name="Ann Archer"), make_student(name="Ben Baker")
    klass = make_class(teacher=teacher, students=[ann, ben], name="Chemistry")
    session = services.session_start(teacher=teacher, klass=klass)
    return {"teacher": teacher, "ann": ann, "ben": ben, "klass": klass, "session": session}


def url(klass, name: str = "") -> str:
    return f"/app/classes/{klass.pk}/check-in/{name + '/' if name else ''}"


def open_on_page(world, **form):
    return signed_in(world["teacher"]).post(url(world["klass"], "open"), form)


def the_code(world) -> str:
    return checkin.checkin_code(klass=world["klass"])["code"]


# Teacher ---------------------------------------------------------------------------------


def test_the_live_view_offers_to_open_check_in_then_the_projector(world):
    page = signed_in(world["teacher"]).get(f"/app/classes/{world['klass'].pk}/live/").content.decode()
    assert "Open check-in" in page and "Late after" in page
    response = open_on_page(world, late_after_minutes="10")
    assert response.status_code == 302 and response["Location"] == url(world["klass"])
    assert CheckInWindow.objects.get(session=world["session"]).late_after_minutes == 10
    page = signed_in(world["teacher"]).get(f"/app/classes/{world['klass'].pk}/live/").content.decode()
    assert "Check-in is open." in page and "late after 10 min" in page and "Projector view" in page


@pytest.mark.parametrize("minutes", ["-3", "ten", "1441", "2.5"])
def test_a_bad_late_threshold_is_said_and_opens_nothing(world, minutes):
    client = signed_in(world["teacher"])
    response = client.post(url(world["klass"], "open"), {"late_after_minutes": minutes}, follow=True)
    assert "Late after: enter a whole number of minutes" in response.content.decode()
    assert not CheckInWindow.objects.exists()


def test_the_projector_shows_the_code_with_its_qr_and_the_count(world):
    open_on_page(world)
    client = signed_in(world["teacher"])
    page = client.get(url(world["klass"])).content.decode()
    assert "Chemistry: check in" in page and "0</strong> of 2 checked in" in page
    assert "<script>" not in page and "style=" not in page  # CSP: no inline script or style
    data = client.get(url(world["klass"], "code"), **JSON).json()["data"]
    assert data["code"] == the_code(world) and data["rotateSeconds"] == 20
    assert data["qr"].startswith("<svg") and "<script" not in data["qr"]
    assert data["link"] == f"http://testserver/app/live/?checkin={world['klass'].pk}&code={data['code']}"
    assert data["checkedIn"] == 0 and data["now"].endswith("Z")


def test_the_projector_says_when_check_in_is_not_open(world):
    client = signed_in(world["teacher"])
    page = client.get(url(world["klass"])).content.decode()
    assert "Check-in is not open" in page and "Open check-in" in page
    response = client.get(url(world["klass"], "code"), **JSON)
    assert response.status_code == 404 and response.json() == {"success": False, "error": "Check-in is not open"}


def test_the_projector_is_the_class_teachers_only(world):
    open_on_page(world)
    assert signed_in(make_teacher()).get(url(world["klass"])).status_code == 404
    assert signed_in(make_teacher()).get(url(world["klass"], "code")).status_code == 404
    assert signed_in(world["ann"]).get(url(world["klass"])).status_code == 403
    assert signed_in(make_teacher()).post(url(world["klass"], "open")).status_code == 404
    assert not CheckInWindow.objects.filter(is_open=True).exclude(session=world["session"]).exists()


def test_closing_from_the_page(world):
    open_on_page(world)
    response = signed_in(world["teacher"]).post(url(world["klass"], "close"), follow=True)
    assert "Check-in is closed: codes are no longer accepted." in response.content.decode()
    assert not CheckInWindow.objects.get(session=world["session"]).is_open


def test_opening_without_a_running_session_is_said(world):
    services.session_finish(session=world["session"])
    response = signed_in(world["teacher"]).post(url(world["klass"], "open"), follow=True)
    assert response.redirect_chain[-1][0] == f"/app/classes/{world['klass'].pk}/live/"
    assert "No active attendance session" in response.content.decode()
    assert not CheckInWindow.objects.exists()


# Student ---------------------------------------------------------------------------------


def test_the_students_card_offers_the_code_box_only_while_check_in_is_open(world):
    page = signed_in(world["ann"]).get("/app/live/").content.decode()
    card = page.split('<template id="status-template">')[0]
    assert re.search(r"<form[^>]*data-checkin-form hidden", card)
    assert re.search(r"<form[^>]*data-claim-form>", card)  # "I'm here" is there from the start
    open_on_page(world)
    card = signed_in(world["ann"]).get("/app/live/").content.decode().split('<template id="status-template">')[0]
    assert re.search(r"<form[^>]*data-checkin-form>", card)
    assert 'autocomplete="one-time-code"' in card and 'inputmode="numeric"' in card


def test_an_excused_student_gets_no_code_box_but_may_still_say_they_are_here(world):
    services.attendance_mark(
        session=world["session"], student_id=str(world["ann"].pk), status="excused", by=world["teacher"]
    )
    open_on_page(world)
    card = signed_in(world["ann"]).get("/app/live/").content.decode().split('<template id="status-template">')[0]
    assert re.search(r"<form[^>]*data-checkin-form hidden", card)
    assert re.search(r"<form[^>]*data-claim-form>", card)


def test_the_qr_link_fills_in_the_code(world):
    open_on_page(world)
    code = the_code(world)
    page = signed_in(world["ann"]).get(f"/app/live/?checkin={world['klass'].pk}&code={code}").content.decode()
    assert f'data-prefill-class="{world["klass"].pk}" data-prefill-code="{code}"' in page
    page = signed_in(world["ann"]).get("/app/live/?checkin=1&code=<b>").content.decode()
    assert 'data-prefill-code=""' in page


def test_a_signed_out_student_comes_back_to_the_qr_link_after_signing_in(world, client):
    open_on_page(world)
    target = f"/app/live/?checkin={world['klass'].pk}&code={the_code(world)}"
    response = client.get(target)
    assert response.status_code == 302 and "next=" in response["Location"]
    page = client.get(response["Location"]).content.decode()
    assert 'name="next"' in page


def test_checking_in_from_the_page_without_script(world):
    open_on_page(world)
    response = signed_in(world["ann"]).post(
        "/app/check-in/", {"classId": str(world["klass"].pk), "code": the_code(world)}, follow=True
    )
    assert "Checked in: present." in response.content.decode()
    assert AttendanceRecord.objects.get(session=world["session"], student=world["ann"]).status == "present"


def test_checking_in_from_the_pages_script_answers_json(world):
    open_on_page(world)
    client = signed_in(world["ann"])
    bad = client.post("/app/check-in/", {"classId": str(world["klass"].pk), "code": "000000x"}, **JSON)
    assert bad.status_code == 400 and bad.json() == {"success": False, "error": "Invalid code"}
    good = client.post("/app/check-in/", {"classId": str(world["klass"].pk), "code": the_code(world)}, **JSON)
    assert good.json() == {"success": True, "data": {"classId": str(world["klass"].pk), "status": "present"}}
    other = client.post("/app/check-in/", {"classId": "someid", "code": the_code(world)}, **JSON)
    assert other.status_code == 404 and other.json()["error"] == "Class not found"


def test_one_browser_checking_in_two_students_is_flagged(world):
    open_on_page(world)
    ann = signed_in(world["ann"])
    first = ann.post("/app/check-in/", {"classId": str(world["klass"].pk), "code": the_code(world)}, **JSON)
    device = first.cookies[DEVICE_COOKIE]
    assert device["httponly"] and device["samesite"] == "Lax" and int(device["max-age"]) == 180 * 24 * 3600
    # Ben signs in on Ann's browser: the browser's id cookie stays.
    ben = signed_in(world["ben"])
    ben.cookies[DEVICE_COOKIE] = device.value
    ben.post("/app/check-in/", {"classId": str(world["klass"].pk), "code": the_code(world)}, **JSON)
    flags = checkin.checkin_flags(session=world["session"])
    assert checkin.SAME_BROWSER in flags[str(world["ann"].pk)]
    assert checkin.SAME_BROWSER in flags[str(world["ben"].pk)]


def test_claiming_from_the_page(world):
    client = signed_in(world["ann"])
    response = client.post("/app/claim/", {"classId": str(world["klass"].pk)}, follow=True)
    assert "Your teacher has been told you are here." in response.content.decode()
    card = response.content.decode().split('<template id="status-template">')[0]
    assert re.search(r"<form[^>]*data-claim-form hidden", card)
    assert re.search(r"<p[^>]*data-claim-wait>", card)
    services.attendance_mark(
        session=world["session"], student_id=str(world["ann"].pk), status="present", by=world["teacher"]
    )
    answer = client.post("/app/claim/", {"classId": str(world["klass"].pk)}, **JSON)
    assert answer.status_code == 409 and answer.json()["error"] == "Already marked present or late"


def test_teachers_cannot_use_the_students_forms(world):
    client = signed_in(world["teacher"])
    assert client.post("/app/check-in/", {"classId": str(world["klass"].pk), "code": "123456"}).status_code == 403
    assert client.post("/app/claim/", {"classId": str(world["klass"].pk)}).status_code == 403
