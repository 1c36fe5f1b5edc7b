"""The whole day of a class in a real browser: sign up, roster, live marking, finish, history, CSV."""

import csv
import io
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LAPTOP, PASSWORD, PHONE, sign_in, sign_up_by_api

pytestmark = [pytest.mark.browser, pytest.mark.server]


def sign_up_on_the_page(page, server, *, name: str, email: str, role: str) -> None:
    page.goto(server.http + "/")
    page.get_by_role("link", name=f"I am a {role}").click()
    expect(page.get_by_label(f"I am a {role}")).to_be_checked()
    page.get_by_label("Name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()


def card(page, class_name: str):
    return page.locator(".status-card", has=page.get_by_role("heading", name=class_name))


def test_a_class_from_signup_to_csv(server, new_page):
    # Two students: one signs up on the page and keeps it open, the other through the API.
    ada = new_page(PHONE)
    sign_up_on_the_page(ada, server, name="Ada Byron", email="ada@school.test", role="student")
    expect(ada).to_have_url(re.compile(r"/app/live/$"))
    expect(ada.get_by_text("You are not in any class yet")).to_be_visible()
    expect(ada.locator('[data-conn][data-state="open"]')).to_have_text("Live")
    ada.evaluate("window.notReloaded = true")
    sign_up_by_api(server, name="Bob Boole", email="bob@school.test", role="student")

    # The teacher signs up, creates a class and adds both students.
    teacher = new_page(LAPTOP)
    sign_up_on_the_page(teacher, server, name="Grace Teacher", email="grace@school.test", role="teacher")
    expect(teacher).to_have_url(re.compile(r"/app/$"))
    teacher.get_by_label("Class name").fill("Physics 9C")
    teacher.get_by_role("button", name="Create class").click()
    expect(teacher.get_by_role("heading", level=1)).to_have_text("Physics 9C")

    teacher.get_by_label("Find a student by name or email").fill("ada")
    teacher.get_by_role("button", name="Search").click()
    teacher.get_by_role("button", name="Add Ada Byron").click()
    expect(teacher.get_by_text("Added Ada Byron to Physics 9C")).to_be_visible()
    teacher.get_by_label("Student email").fill("BOB@school.test")
    teacher.get_by_role("button", name="Add by email").click()
    roster = teacher.locator(".roster")
    expect(roster.locator(".roster__name")).to_have_text(["Ada Byron", "Bob Boole"])

    # Ada's open page learns about the class without a reload.
    expect(card(ada, "Physics 9C").locator("[data-status-label]")).to_have_text("No session right now")

    # Start: the live view lists both; Ada's page switches to "not yet marked".
    teacher.get_by_role("button", name="Start attendance").click()
    expect(teacher).to_have_url(re.compile(r"/live/$"))
    expect(teacher.locator('[data-conn][data-state="open"]')).to_be_visible()
    expect(card(ada, "Physics 9C").locator("[data-status-label]")).to_have_text("Not yet marked")
    ada_button = teacher.get_by_role("button", name=re.compile("^Ada Byron"))
    expect(ada_button.locator(".mark__online")).to_be_visible()  # Ada is connected right now
    expect(teacher.locator("[data-online-count]")).to_have_text("1")

    # Mark Ada present with the keyboard: her phone shows it without reloading.
    ada_button.focus()
    teacher.keyboard.press("Enter")
    expect(ada_button).to_have_attribute("data-status", "present")
    ada_status = card(ada, "Physics 9C")
    expect(ada_status.locator("[data-status-label]")).to_have_text("Present")
    expect(ada_status).to_have_attribute("data-state", "present")
    assert ada.evaluate("window.notReloaded") is True
    counters = {name: teacher.locator(f'[data-count="{name}"]') for name in ("present", "absent", "notMarked")}
    expect(counters["present"]).to_have_text("1")
    expect(counters["absent"]).to_have_text("0")
    expect(counters["notMarked"]).to_have_text("1")

    # Finish, after confirming: Bob (never marked) is absent.
    teacher.get_by_role("button", name="Finish", exact=True).click()
    dialog = teacher.get_by_role("dialog")
    expect(dialog).to_contain_text("1 student is not marked yet and will be recorded absent")
    dialog.get_by_role("button", name="Finish and save").click()
    summary = teacher.locator("[data-summary]")
    expect(summary).to_be_visible()
    expect(summary.locator('[data-final="present"]')).to_have_text("1")
    expect(summary.locator('[data-final="absent"]')).to_have_text("1")
    expect(summary.locator('[data-final="total"]')).to_have_text("2")
    expect(ada_status.locator("[data-status-detail]")).to_have_text("Session finished: you were recorded present.")
    ada_history = ada.locator("[data-history-body]")
    expect(ada_history).to_contain_text("Physics 9C")
    expect(ada_history.locator(".pill--present")).to_have_count(1)

    # The class page shows the session in its history, the rates and the chart.
    summary.get_by_role("link", name="Back to Physics 9C").click()
    history = teacher.locator("table tbody tr")
    expect(history).to_have_count(1)
    expect(history.locator("td")).to_have_text(["1", "0", "0", "1", "50%"])  # present, late, excused, absent
    expect(teacher.get_by_role("img", name=re.compile("Attendance over the last 1 session"))).to_be_visible()
    expect(roster.locator(".roster__rate-text")).to_have_text([re.compile(r"100%.*1 of 1"), re.compile(r"0%.*0 of 1")])

    # The CSV download has one row per student.
    with teacher.expect_download() as download:
        teacher.get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename == "physics-9c-attendance.csv"
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    assert rows[0] == [
        "class",
        "session_started_at",
        "session_ended_at",
        "student_name",
        "student_email",
        "status",
        "marked_at",
        "time_zone",
        "session_started_local",
        "marked_at_local",
    ]
    assert [(row[0], row[3], row[4], row[5]) for row in rows[1:]] == [
        ("Physics 9C", "Ada Byron", "ada@school.test", "present"),
        ("Physics 9C", "Bob Boole", "bob@school.test", "absent"),
    ]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", row[1]) for row in rows[1:])

    # Bob signs in later and finds the result in his history.
    bob = new_page(PHONE)
    sign_in(bob, server, "bob@school.test")
    bob.goto(server.http + "/app/history/")
    expect(bob.locator(".history-card")).to_contain_text("Physics 9C")
    expect(bob.locator(".history-list .pill")).to_have_text(["Absent"])
