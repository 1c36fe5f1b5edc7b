"""Correcting a finished session in a real browser: the class page's history, the session page, the student's page."""

import json
import re

import pytest
from playwright.sync_api import expect
from websockets.sync.client import connect

from tests.browser.conftest import LAPTOP, PHONE, sign_in, sign_up_by_api, token_of
from tests.realserver.wire import http

pytestmark = [pytest.mark.browser, pytest.mark.server]


@pytest.fixture(scope="module")
def finished(server):
    """A class whose one session finished with Sam present and Kim unmarked (absent), made through the API."""
    sign_up_by_api(server, name="Tess Teacher", email="tess@school.test", role="teacher")
    ids = {
        "sam": sign_up_by_api(server, name="Sam Student", email="sam@school.test", role="student"),
        "kim": sign_up_by_api(server, name="Kim Kowalski", email="kim@school.test", role="student"),
    }
    token = token_of(server, "tess@school.test")
    status, body = http(server.http, "POST", "/class", {"className": "History 7A"}, token)
    assert status == 201, body
    class_id = body["data"]["_id"]
    for student_id in ids.values():
        assert http(server.http, "POST", f"/class/{class_id}/add-student", {"studentId": student_id}, token)[0] == 200
    assert http(server.http, "POST", "/attendance/start", {"classId": class_id}, token)[0] == 200
    with connect(f"{server.ws}?token={token}", open_timeout=10) as socket:
        socket.send(json.dumps({"event": "ATTENDANCE_MARKED", "data": {"studentId": ids["sam"], "status": "present"}}))
        assert json.loads(socket.recv(timeout=10))["event"] == "ATTENDANCE_MARKED"
        socket.send(json.dumps({"event": "DONE"}))
        assert json.loads(socket.recv(timeout=10))["event"] == "DONE"
    return {"class_id": class_id, "token": token, **ids}


def test_a_teacher_corrects_a_finished_session_and_the_student_sees_it_live(server, finished, new_page):
    kim = new_page(PHONE)
    sign_in(kim, server, "kim@school.test")
    history = kim.locator("[data-history-body]")
    expect(history.locator(".pill--absent")).to_have_count(1)
    expect(kim.locator('[data-conn][data-state="open"]')).to_have_text("Live")
    kim.evaluate("window.notReloaded = true")

    teacher = new_page(LAPTOP)
    sign_in(teacher, server, "tess@school.test")
    teacher.goto(f"{server.http}/app/classes/{finished['class_id']}/")
    teacher.locator("table tbody tr th a").first.click()
    expect(teacher.get_by_role("heading", level=1)).to_contain_text("Session of")
    record = teacher.locator(".record", has=teacher.get_by_role("heading", name="Kim Kowalski"))
    expect(record.locator(".pill")).to_have_text("Absent")

    # From the keyboard: pick the status, type the note, press Enter on Save.
    record.get_by_label("Status").select_option("late")
    record.get_by_label("Note").fill("Arrived after Finish: the bus broke down")
    record.get_by_role("button", name="Save correction for Kim Kowalski").focus()
    teacher.keyboard.press("Enter")

    expect(teacher.get_by_text("Corrected Kim Kowalski: late.")).to_be_visible()
    record = teacher.locator(".record", has=teacher.get_by_role("heading", name="Kim Kowalski"))
    expect(record.locator(".pill")).to_have_text("Late")
    expect(record.locator("[data-record-note]")).to_have_text("Note: Arrived after Finish: the bus broke down")
    record.get_by_text("1 correction").click()
    expect(record.locator("[data-record-log] li")).to_have_text(
        re.compile(r"Tess Teacher changed absent to late — “Arrived after Finish: the bus broke down”")
    )
    expect(teacher.locator('[data-session-count="late"]')).to_have_text("1")
    expect(teacher.locator('[data-session-count="absent"]')).to_have_text("0")

    # The student's open page follows without a reload, note included; the API agrees.
    expect(history.locator(".pill--late")).to_have_count(1)
    expect(history).to_contain_text("Note: Arrived after Finish: the bus broke down")
    assert kim.evaluate("window.notReloaded") is True
    status, body = http(
        server.http, "GET", f"/class/{finished['class_id']}/my-attendance", None, token_of(server, "kim@school.test")
    )
    assert (status, body["data"]["status"]) == (200, "late")

    # The class page's history counts the correction.
    teacher.get_by_role("link", name="History 7A").click()
    expect(teacher.locator("table tbody tr td")).to_have_text(["1", "1", "0", "0", "100%"])


def test_the_session_page_fits_a_phone(server, finished, new_page):
    page = new_page(PHONE)
    sign_in(page, server, "tess@school.test")
    status, body = http(server.http, "GET", f"/class/{finished['class_id']}/sessions", None, finished["token"])
    assert status == 200, body
    page.goto(f"{server.http}/app/classes/{finished['class_id']}/sessions/{body['data'][0]['_id']}/")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    expect(page.get_by_role("button", name="Save correction for Sam Student")).to_be_visible()
