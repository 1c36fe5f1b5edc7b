"""Self check-in in real browsers: the projector, students checking in on phones, wrong and old codes, a claim."""

import re

import pytest
from playwright.sync_api import expect

from harness.server import ServerProcess
from tests.browser.conftest import LAPTOP, PHONE, running_class, sign_in, sign_up_by_api, token_of
from tests.realserver.wire import http

pytestmark = [pytest.mark.browser, pytest.mark.server]

# Short periods, so that a code goes stale within the test.
ROTATE_SECONDS = 4
CODE = re.compile(r"^\d{3} \d{3}$")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    directory = tmp_path_factory.mktemp("checkin")
    server = ServerProcess(database=directory / "checkin.sqlite3", env={"CHECKIN_ROTATE_SECONDS": str(ROTATE_SECONDS)})
    server.migrate()
    server.manage("collectstatic", "--noinput", "-v0")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def school(server):
    """A teacher, a class of three students and a running session, made through the API."""
    sign_up_by_api(server, name="Grace Teacher", email="grace@school.test", role="teacher")
    students = {
        name: sign_up_by_api(server, name=name, email=f"{name.split()[0].lower()}@school.test", role="student")
        for name in ("Ada Byron", "Bob Boole", "Cy Cray")
    }
    class_id = running_class(
        server, teacher_email="grace@school.test", class_name="Physics 9C", student_ids=students.values()
    )
    return {"class_id": class_id, "students": students}


def tile(page, name: str):
    return page.locator(".mark-grid__item", has=page.get_by_role("button", name=re.compile("^" + name)))


def shown_code(projector) -> str:
    expect(projector.locator("[data-code]")).to_have_text(CODE)
    return projector.locator("[data-code]").inner_text().replace(" ", "")


def student_phone(new_page, server, email: str):
    phone = new_page(PHONE)
    sign_in(phone, server, email)
    expect(phone.locator('[data-conn][data-state="open"]')).to_be_visible()
    return phone


def test_projector_check_in_old_and_wrong_codes_and_a_confirmed_claim(server, school, new_page):
    teacher = new_page(LAPTOP)
    sign_in(teacher, server, "grace@school.test")
    teacher.goto(f"{server.http}/app/classes/{school['class_id']}/live/")
    expect(teacher.locator('[data-conn][data-state="open"]')).to_be_visible()
    ada_phone = student_phone(new_page, server, "ada@school.test")
    cy_phone = student_phone(new_page, server, "cy@school.test")
    ada_card, cy_card = ada_phone.locator(".status-card"), cy_phone.locator(".status-card")
    expect(ada_card.get_by_label("Code on the projector")).to_be_hidden()

    # The teacher opens check-in from the live view; the projector shows a code, its QR and the count.
    teacher.get_by_role("button", name="Open check-in").click()
    expect(teacher).to_have_url(re.compile(r"/check-in/$"))
    projector = teacher
    expect(projector.get_by_role("heading", name="Physics 9C: check in")).to_be_visible()
    expect(projector.locator("[data-qr] svg")).to_be_visible()
    expect(projector.locator("[data-checked-in]")).to_have_text("0")
    code = shown_code(projector)
    expect(projector.locator("[data-code-spoken]")).to_have_text(
        f"The code is {' '.join(code[:3])}, {' '.join(code[3:])}."
    )

    # The phones offer the code box the moment check-in opens.
    expect(ada_card.get_by_label("Code on the projector")).to_be_visible()
    expect(cy_card.get_by_label("Code on the projector")).to_be_visible()

    # Ada scans the QR code: its link opens her page with the code filled in; she presses Check in.
    ada_phone.goto(f"{server.http}/app/live/?checkin={school['class_id']}&code={shown_code(projector)}")
    expect(ada_card.locator("[data-checkin-message]")).to_have_text("Code filled in from the QR code: press Check in.")
    expect(ada_card.get_by_role("button", name="Check in")).to_be_focused()
    assert re.fullmatch(r"\d{6}", ada_card.get_by_label("Code on the projector").input_value())
    ada_phone.keyboard.press("Enter")
    expect(ada_card.locator("[data-status-label]")).to_have_text("Present")
    expect(ada_card.locator("[data-checkin-message]")).to_have_text("You are checked in: present.")
    expect(projector.locator("[data-checked-in]")).to_have_text("1")

    # Bob checks in from a script, never having opened his page: his check-in is flagged, not refused.
    bob_token = token_of(server, "bob@school.test")
    status, body = http(
        server.http, "POST", "/attendance/check-in", {"classId": school["class_id"], "code": code}, bob_token
    )
    assert (status, body["data"]["status"]) == (200, "present"), body
    expect(projector.locator("[data-checked-in]")).to_have_text("2")

    # The teacher's grid has both, and says what may deserve a look.
    live = teacher.context.new_page()
    live.goto(f"{server.http}/app/classes/{school['class_id']}/live/")
    expect(tile(live, "Ada Byron").locator("[data-mark]")).to_have_attribute("data-status", "present")
    expect(tile(live, "Ada Byron").get_by_text("Checked in with the code")).to_be_visible()
    expect(tile(live, "Ada Byron").locator("[data-flags]")).to_be_hidden()
    expect(tile(live, "Bob Boole").locator("[data-flags]")).to_have_text(
        "Worth a look: their page was not open this session"
    )

    # A code two rotations old is refused.
    stale = shown_code(projector)
    expect(projector.locator("[data-code]")).not_to_have_text(f"{stale[:3]} {stale[3:]}", timeout=15_000)
    newer = shown_code(projector)
    expect(projector.locator("[data-code]")).not_to_have_text(f"{newer[:3]} {newer[3:]}", timeout=15_000)
    cy_code = cy_card.get_by_label("Code on the projector")
    cy_code.fill(stale)
    cy_card.get_by_role("button", name="Check in").click()
    message = cy_card.locator("[data-checkin-message]")
    expect(message).to_have_text("That code is not right, or it has expired. Type the one on the projector now.")
    expect(cy_card.locator("[data-status-label]")).to_have_text("Not yet marked")

    # Four more wrong codes make five; then even the right code is refused.
    for attempt in range(4):
        cy_code.fill(f"00000{attempt}" if stale != f"00000{attempt}" else "999999")
        cy_card.get_by_role("button", name="Check in").click()
        expect(message).to_have_text(re.compile("That code is not right"))
        expect(cy_card.get_by_role("button", name="Check in")).to_be_enabled()
    cy_code.fill(shown_code(projector))
    cy_card.get_by_role("button", name="Check in").click()
    expect(message).to_have_text("Too many tries. Tap “I'm here” and your teacher will mark you.")
    expect(cy_card.locator("[data-status-label]")).to_have_text("Not yet marked")

    # Cy says "I'm here"; the teacher's grid shows the claim and one tap confirms it.
    cy_card.get_by_role("button", name="I'm here").click()
    expect(cy_card.get_by_text("Your teacher has been told you are here and will confirm.")).to_be_visible()
    cy_tile = tile(live, "Cy Cray")
    expect(cy_tile.get_by_text("Says they are here")).to_be_visible()
    confirm = cy_tile.get_by_role("button", name="Confirm Cy Cray present")
    confirm.focus()
    live.keyboard.press("Enter")
    expect(cy_tile.locator("[data-mark]")).to_have_attribute("data-status", "present")
    expect(cy_tile.locator("[data-claim]")).to_be_hidden()
    expect(cy_card.locator("[data-status-label]")).to_have_text("Present")
    expect(cy_card.get_by_role("button", name="I'm here")).to_be_hidden()

    # Closing check-in takes the code off the projector and the box off the phones.
    live.get_by_role("button", name="Close check-in").click()
    expect(projector.get_by_role("heading", name="Check-in is not open")).to_be_visible()
    expect(ada_card.get_by_label("Code on the projector")).to_be_hidden()
