"""Late and excused in the teacher's live view: the status menu (keyboard, long press), mark the rest, undo."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LAPTOP, PHONE, sign_in, sign_up_by_api, token_of
from tests.realserver.wire import http

pytestmark = [pytest.mark.browser, pytest.mark.server]

NAMES = {"ann": "Ann Able", "ben": "Ben Brook", "cat": "Cat Cole", "dan": "Dan Dale"}


@pytest.fixture(scope="module")
def classroom(server):
    """A teacher, four students in one class, and a running session, all made through the API."""
    sign_up_by_api(server, name="Tom Teacher", email="tom@school.test", role="teacher")
    ids = {
        key: sign_up_by_api(server, name=name, email=f"{key}@school.test", role="student")
        for key, name in NAMES.items()
    }
    token = token_of(server, "tom@school.test")
    status, body = http(server.http, "POST", "/class", {"className": "Biology 10"}, token)
    assert status == 201, body
    class_id = body["data"]["_id"]
    for student_id in ids.values():
        assert http(server.http, "POST", f"/class/{class_id}/add-student", {"studentId": student_id}, token)[0] == 200
    assert http(server.http, "POST", "/attendance/start", {"classId": class_id}, token)[0] == 200
    return {"class_id": class_id, "token": token, **ids}


def student_button(page, key: str):
    return page.get_by_role("button", name=re.compile("^" + NAMES[key]))


def summary(server, classroom) -> dict:
    status, body = http(server.http, "GET", f"/class/{classroom['class_id']}/sessions", None, classroom["token"])
    assert status == 200, body
    row = body["data"][0]
    return {key: row[key] for key in ("present", "late", "excused", "absent", "total")}


def test_late_and_excused_from_the_menu_then_mark_the_rest_and_undo(server, classroom, new_page):
    teacher = new_page(LAPTOP)
    sign_in(teacher, server, "tom@school.test")
    teacher.goto(f"{server.http}/app/classes/{classroom['class_id']}/live/")
    expect(teacher.locator('[data-conn][data-state="open"]')).to_have_text("Live")
    cat = new_page(PHONE)
    sign_in(cat, server, "cat@school.test")
    cat_status = cat.locator(".status-card", has_text="Biology 10").locator("[data-status-label]")
    expect(cat_status).to_have_text("Not yet marked")

    # A tap still marks present, as before.
    student_button(teacher, "ann").click()
    expect(student_button(teacher, "ann")).to_have_attribute("data-status", "present")

    # From the keyboard: the ⋯ button opens the menu, arrows move, Enter picks; focus comes back.
    more = teacher.get_by_role("button", name="Late, excused and more for Ben Brook")
    more.focus()
    teacher.keyboard.press("Enter")
    menu = teacher.get_by_role("menu", name="Set a status for Ben Brook")
    expect(menu).to_be_visible()
    expect(menu.get_by_role("menuitemradio", name="Present")).to_be_focused()
    teacher.keyboard.press("ArrowDown")
    expect(menu.get_by_role("menuitemradio", name="Late")).to_be_focused()
    teacher.keyboard.press("Enter")
    expect(menu).to_be_hidden()
    expect(student_button(teacher, "ben")).to_have_attribute("data-status", "late")
    expect(student_button(teacher, "ben")).to_be_focused()
    expect(teacher.locator('[data-count="late"]')).to_have_text("1")

    # Escape closes the menu without marking.
    more = teacher.get_by_role("button", name="Late, excused and more for Dan Dale")
    more.focus()
    teacher.keyboard.press("Enter")
    expect(teacher.get_by_role("menu")).to_be_visible()
    teacher.keyboard.press("Escape")
    expect(teacher.get_by_role("menu")).to_be_hidden()
    expect(more).to_be_focused()
    expect(student_button(teacher, "dan")).to_have_attribute("data-status", "none")

    # Press and hold: the menu opens and the press is not a tap.
    box = student_button(teacher, "cat").bounding_box()
    teacher.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] - 10)
    teacher.mouse.down()
    expect(teacher.get_by_role("menu", name="Set a status for Cat Cole")).to_be_visible()
    teacher.mouse.up()
    expect(student_button(teacher, "cat")).to_have_attribute("data-status", "none")
    teacher.get_by_role("menuitemradio", name="Excused").click()
    expect(student_button(teacher, "cat")).to_have_attribute("data-status", "excused")
    expect(cat_status).to_have_text("Excused")
    assert summary(server, classroom) == {"present": 1, "late": 1, "excused": 1, "absent": 0, "total": 3}

    # Mark the rest: only Dan was unmarked. Undo brings him back to not marked.
    teacher.get_by_role("button", name="Mark the rest present").click()
    expect(teacher.locator("[data-undo-text]")).to_have_text("Marked 1 student present.")
    expect(student_button(teacher, "dan")).to_have_attribute("data-status", "present")
    expect(teacher.locator('[data-count="notMarked"]')).to_have_text("0")
    assert summary(server, classroom)["present"] == 2
    teacher.get_by_role("button", name="Undo").click()
    expect(teacher.locator("[data-undo-text]")).to_have_text("Undone: 1 student is not marked again.")
    expect(student_button(teacher, "dan")).to_have_attribute("data-status", "none")
    expect(teacher.locator('[data-count="notMarked"]')).to_have_text("1")
    expect(student_button(teacher, "ben")).to_have_attribute("data-status", "late")
    assert summary(server, classroom) == {"present": 1, "late": 1, "excused": 1, "absent": 0, "total": 3}

    # Finishing records the exact statuses.
    teacher.get_by_role("button", name="Finish").click()
    teacher.get_by_role("button", name="Finish and save").click()
    final = teacher.locator("[data-summary]")
    expect(final.locator('[data-final="late"]')).to_have_text("1")
    expect(final.locator('[data-final="excused"]')).to_have_text("1")
    expect(final.locator('[data-final="absent"]')).to_have_text("1")
    expect(cat.locator(".status-card", has_text="Biology 10").locator("[data-status-detail]")).to_have_text(
        "Session finished: you were recorded excused."
    )


def test_the_menu_works_on_a_phone_without_sideways_scrolling(server, classroom, new_page):
    started = http(server.http, "POST", "/attendance/start", {"classId": classroom["class_id"]}, classroom["token"])
    assert started[0] == 200
    page = new_page(PHONE, has_touch=True)
    sign_in(page, server, "tom@school.test")
    page.goto(f"{server.http}/app/classes/{classroom['class_id']}/live/")
    expect(page.locator('[data-conn][data-state="open"]')).to_have_text("Live")

    page.get_by_role("button", name="Late, excused and more for Dan Dale").tap()
    page.get_by_role("menuitemradio", name="Late").tap()

    expect(student_button(page, "dan")).to_have_attribute("data-status", "late")
    page.get_by_role("button", name="Late, excused and more for Dan Dale").tap()
    expect(page.get_by_role("menu")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
