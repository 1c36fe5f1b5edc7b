"""Dropped connections, a restarted server and a 360-pixel-wide phone."""

import json
import re

import pytest
from playwright.sync_api import expect
from websockets.sync.client import connect

from tests.browser.conftest import LAPTOP, PHONE, running_class, sign_in, sign_up_by_api, start_server, token_of

pytestmark = [pytest.mark.browser, pytest.mark.server]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # Restarted by a test: this module gets a server of its own.
    server = start_server(tmp_path_factory.mktemp("resilience"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def classroom(server):
    """A teacher, two students in one class, and a running session, all made through the API."""
    teacher_id = sign_up_by_api(server, name="Tess Teacher", email="tess@school.test", role="teacher")
    ids = {
        "sam": sign_up_by_api(server, name="Sam Student", email="sam@school.test", role="student"),
        "kim": sign_up_by_api(
            server, name="Kim Katherine-Wolfeschlegelsteinhausen", email="kim@school.test", role="student"
        ),
    }
    token = token_of(server, "tess@school.test")
    class_id = running_class(
        server, teacher_email="tess@school.test", class_name="Geography 8B", student_ids=ids.values()
    )
    return {"class_id": class_id, "teacher_id": teacher_id, "token": token, **ids}


def mark(server, classroom, student: str, status: str) -> None:
    """Mark a student the way an API client does: a token socket, not the page."""
    with connect(f"{server.ws}?token={classroom['token']}", open_timeout=10) as socket:
        frame = {"studentId": classroom[student], "status": status, "classId": classroom["class_id"]}
        socket.send(json.dumps({"event": "ATTENDANCE_MARKED", "data": frame}))
        answer = json.loads(socket.recv(timeout=10))
        assert answer["event"] == "ATTENDANCE_MARKED", answer


def status_of(page):
    return page.locator(".status-card", has_text="Geography 8B").locator("[data-status-label]")


def test_a_mark_made_while_offline_shows_after_reconnecting(server, classroom, new_page):
    page = new_page(PHONE)
    sign_in(page, server, "sam@school.test")
    connection = page.locator("[data-conn]")
    expect(connection).to_have_attribute("data-state", "open")
    expect(status_of(page)).to_have_text("Not yet marked")

    page.context.set_offline(True)
    expect(connection).to_have_attribute("data-state", "reconnecting")
    expect(connection).to_have_text("Reconnecting…")
    mark(server, classroom, "sam", "absent")  # broadcast while the phone is away
    expect(status_of(page)).to_have_text("Not yet marked")

    page.context.set_offline(False)
    expect(connection).to_have_attribute("data-state", "open")
    expect(status_of(page)).to_have_text("Absent")  # from the resync snapshot


def test_the_teacher_page_catches_up_on_marks_made_while_offline_without_a_snapshot(server, classroom, new_page):
    page = new_page(LAPTOP)
    sent = []
    page.on("websocket", lambda socket: socket.on("framesent", lambda payload: sent.append(json.loads(payload))))
    sign_in(page, server, "tess@school.test")
    page.goto(f"{server.http}/app/classes/{classroom['class_id']}/live/")
    connection = page.locator("[data-conn]")
    expect(connection).to_have_attribute("data-state", "open")
    sam = page.get_by_role("button", name=re.compile("^Sam"))
    kim = page.get_by_role("button", name=re.compile("^Kim"))
    mark(server, classroom, "sam", "present")
    expect(sam).to_have_attribute("data-status", "present")
    sent.clear()

    page.context.set_offline(True)
    expect(connection).to_have_attribute("data-state", "reconnecting")
    mark(server, classroom, "sam", "absent")  # two marks the page misses
    mark(server, classroom, "kim", "absent")
    expect(sam).to_have_attribute("data-status", "present")

    page.context.set_offline(False)
    expect(connection).to_have_attribute("data-state", "open")
    expect(sam).to_have_attribute("data-status", "absent")
    expect(kim).to_have_attribute("data-status", "absent")
    # It asked for what it missed since the seq it held, and needed no snapshot for it.
    catch_ups = [frame for frame in sent if frame["event"] == "CATCH_UP"]
    assert [frame["event"] for frame in sent] == ["CATCH_UP"], sent
    assert catch_ups[0]["data"]["classId"] == classroom["class_id"] and catch_ups[0]["data"]["since"] > 0

    sam.click()  # and marking goes on from here
    expect(sam).to_have_attribute("data-status", "present")


def test_a_silent_socket_is_probed_with_ping_not_a_snapshot_and_stays_live(server, classroom, new_page):
    page = new_page(PHONE)
    page.clock.install()
    sent = []
    page.on("websocket", lambda socket: socket.on("framesent", lambda payload: sent.append(json.loads(payload))))
    sign_in(page, server, "kim@school.test")
    connection = page.locator("[data-conn]")
    expect(connection).to_have_attribute("data-state", "open")
    assert [frame["event"] for frame in sent] == ["SUBSCRIBE"]

    page.clock.run_for(50_000)  # past the 40-second idle check

    for _ in range(50):  # the frame reaches this process a moment after the page sent it
        if len(sent) > 1:
            break
        page.wait_for_timeout(100)
    assert [frame["event"] for frame in sent] == ["SUBSCRIBE", "PING"]
    expect(connection).to_have_attribute("data-state", "open")


def test_pages_recover_after_the_server_restarts(server, classroom, new_page):
    student = new_page(PHONE)
    sign_in(student, server, "kim@school.test")
    teacher = new_page(LAPTOP)
    sign_in(teacher, server, "tess@school.test")
    teacher.goto(f"{server.http}/app/classes/{classroom['class_id']}/live/")
    for page in (student, teacher):
        expect(page.locator("[data-conn]")).to_have_attribute("data-state", "open")
    student.evaluate("window.notReloaded = true")

    server.kill()
    for page in (student, teacher):
        expect(page.locator("[data-conn]")).to_have_text("Reconnecting…")
    server.start()
    for page in (student, teacher):
        expect(page.locator("[data-conn]")).to_have_attribute("data-state", "open", timeout=20_000)

    kim = teacher.get_by_role("button", name=re.compile("^Kim"))
    kim.click()
    expect(kim).to_have_attribute("data-status", "present")
    expect(status_of(student)).to_have_text("Present")
    assert student.evaluate("window.notReloaded") is True

    mark(server, classroom, "sam", "present")  # an API client marks: the teacher's page follows
    expect(teacher.get_by_role("button", name=re.compile("^Sam"))).to_have_attribute("data-status", "present")


@pytest.mark.parametrize("who", ["student", "teacher"])
def test_a_360_pixel_phone_needs_no_sideways_scrolling(server, classroom, new_page, who):
    page = new_page(PHONE)
    if who == "student":
        sign_in(page, server, "kim@school.test")
        urls = ["/app/live/", "/app/history/"]
    else:
        sign_in(page, server, "tess@school.test")
        base = f"/app/classes/{classroom['class_id']}/"
        urls = ["/app/", base, base + "live/"]
    for url in [*urls, "/app/signup/"]:
        if url == "/app/signup/":
            page.context.clear_cookies()
        page.goto(server.http + url)
        page.wait_for_load_state("networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{url} is {width}px wide"
