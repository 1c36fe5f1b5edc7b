"""Filling a class in a real browser: a join code typed on a phone, a join link, a pasted roster."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LAPTOP, PASSWORD, PHONE, sign_in, sign_up_by_api

pytestmark = [pytest.mark.browser, pytest.mark.server]


def test_students_join_by_code_and_by_link_while_the_teacher_watches_the_roster(server, new_page):
    sign_up_by_api(server, name="Tess Teacher", email="tess@school.test", role="teacher")
    sign_up_by_api(server, name="Ada Byron", email="ada@school.test", role="student")
    sign_up_by_api(server, name="Bob Boole", email="bob@school.test", role="student")

    teacher = new_page(LAPTOP)
    sign_in(teacher, server, "tess@school.test")
    teacher.get_by_label("Class name").fill("Geography 8")
    teacher.get_by_role("button", name="Create class").click()
    expect(teacher.get_by_text("Joining by code is off")).to_be_visible()

    # The teacher turns joining on: a code and a link to send.
    teacher.get_by_role("button", name="Show a join code").click()
    code = teacher.locator("[data-join-code]").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{8}", code)
    link = teacher.get_by_label("Link to send").input_value()
    assert link.endswith(f"/join/{code}")

    # A pasted roster: Bob has an account and is added; the newcomer is listed with the link.
    teacher.get_by_label("Paste emails or CSV").fill("bob@school.test\nNew Kid <newkid@school.test>")
    teacher.get_by_role("button", name="Import").click()
    expect(teacher.get_by_text("1 student added.")).to_be_visible()
    expect(teacher.locator('[data-import-result="unknown_email"]')).to_contain_text("newkid@school.test")
    expect(teacher.get_by_label("Join link")).to_have_value(link)
    expect(teacher.locator(".roster .roster__name")).to_have_text(["Bob Boole"])

    # The live view is open while Ada joins: her button appears without a reload.
    teacher.get_by_role("button", name="Start attendance").click()
    expect(teacher.locator('[data-conn][data-state="open"]')).to_be_visible()
    expect(teacher.get_by_role("button", name=re.compile("^Bob Boole"))).to_be_visible()

    # Ada types the code on her phone, from the keyboard, with a typo first.
    ada = new_page(PHONE)
    sign_in(ada, server, "ada@school.test")
    field = ada.get_by_label("Join code")
    field.fill("WRONG123")
    field.press("Enter")
    expect(ada.get_by_role("alert")).to_contain_text("This join code does not work")
    ada.get_by_label("Join code").fill(code.lower())
    ada.get_by_label("Join code").press("Enter")
    expect(ada).to_have_url(re.compile(r"/app/live/$"))
    expect(ada.get_by_text("You joined Geography 8.")).to_be_visible()
    expect(ada.locator(".status-card", has=ada.get_by_role("heading", name="Geography 8"))).to_be_visible()
    expect(teacher.get_by_role("button", name=re.compile("^Ada Byron"))).to_be_visible()

    # The newcomer opens the link signed out: sign up, come back, confirm.
    newcomer = new_page(PHONE)
    newcomer.goto(link)
    expect(newcomer).to_have_url(re.compile(r"/\?next=/join/"))
    newcomer.get_by_role("link", name="I am a student").click()
    newcomer.get_by_label("Name").fill("New Kid")
    newcomer.get_by_label("Email").fill("newkid@school.test")
    newcomer.get_by_label("Password").fill(PASSWORD + "-longer")
    newcomer.get_by_role("button", name="Create account").click()
    expect(newcomer).to_have_url(re.compile(f"/join/{code}$"))
    newcomer.get_by_role("button", name="Join Geography 8").click()
    expect(newcomer.get_by_text("You joined Geography 8.")).to_be_visible()
    expect(teacher.get_by_role("button", name=re.compile("^New Kid"))).to_be_visible()

    # Replacing the code stops the old link.
    teacher.goto(server.http + teacher.url.replace(server.http, "").replace("live/", ""))
    teacher.get_by_role("button", name="Replace code").click()
    expect(teacher.locator("[data-join-code]")).not_to_have_text(code)
    late = new_page(PHONE)
    sign_up_by_api(server, name="Late Comer", email="late@school.test", role="student")
    sign_in(late, server, "late@school.test")
    late.goto(link)
    expect(late.get_by_role("alert")).to_contain_text("This join code does not work")
