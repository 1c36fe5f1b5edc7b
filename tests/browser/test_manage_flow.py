"""Everyday management in a real browser: a forgotten password, the account page, a class's
rename, archive, restore and delete, and a student leaving a class while the teacher watches."""

import re

import pytest
from playwright.sync_api import expect

from harness.server import ServerProcess
from tests.browser.conftest import LAPTOP, PASSWORD, PHONE, sign_in, sign_up_by_api, token_of
from tests.realserver.wire import http

pytestmark = [pytest.mark.browser, pytest.mark.server]

NEW_PASSWORD = "Violet-orbit-42"
RESET_LINK = re.compile(r"http://[^\s/]+(/app/password/reset/[^/\s]+/[^/\s]+/)")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A production-settings server whose email is the console: reset links land in its log."""
    directory = tmp_path_factory.mktemp("manage")
    server = ServerProcess(database=directory / "manage.sqlite3", env={"EMAIL_URL": "consolemail://"})
    server.migrate()
    server.manage("collectstatic", "--noinput", "-v0")
    yield server.start()
    server.stop()


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def create_class(server, teacher_email: str, name: str, student_ids=()) -> str:
    token = token_of(server, teacher_email)
    status, body = http(server.http, "POST", "/class", {"className": name}, token)
    assert status == 201, body
    class_id = body["data"]["_id"]
    for student_id in student_ids:
        assert http(server.http, "POST", f"/class/{class_id}/add-student", {"studentId": student_id}, token)[0] == 200
    return class_id


def test_a_forgotten_password_is_reset_from_the_emailed_link(server, new_page):
    sign_up_by_api(server, name="Rosa Reset", email="rosa@school.test", role="teacher")
    page = new_page(PHONE)
    page.goto(server.http + "/")

    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Email").fill("ROSA@school.test")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    assert fits_the_screen(page)

    links = RESET_LINK.findall(server.log_path.read_text(errors="replace"))
    assert len(links) == 1, "one email, printed by the console backend"
    page.goto(server.http + links[0])
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    assert "set-password" in page.url  # the token left the address bar
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set the new password").click()
    expect(page.get_by_role("heading", name="Your password is changed")).to_be_visible()

    # The link worked once.
    page.goto(server.http + links[0])
    expect(page.get_by_role("heading", name="This link does not work")).to_be_visible()

    page.goto(server.http + "/")
    page.get_by_label("Email").fill("rosa@school.test")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Invalid email or password")).to_be_visible()
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/app/$"))


def test_the_account_page_changes_the_name_and_the_password(server, new_page):
    sign_up_by_api(server, name="Alan Account", email="alan@school.test", role="student")
    page = new_page(PHONE)
    sign_in(page, server, "alan@school.test")

    page.get_by_role("link", name="Account").click()
    expect(page.get_by_role("heading", name="Your account", level=1)).to_be_visible()
    assert fits_the_screen(page)
    page.get_by_role("textbox", name="Name").fill("Alan T.")
    page.get_by_role("button", name="Save name").press("Enter")
    expect(page.get_by_text("Your name is changed.")).to_be_visible()
    expect(page.locator(".who__name")).to_have_text("Alan T.")

    # A wrong current password is refused and changes nothing.
    page.get_by_label("Current password").fill("not-my-password")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password, again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Current password is incorrect")).to_be_visible()

    # From the keyboard: type, Tab to the next field, Enter submits.
    page.get_by_label("Current password").fill(PASSWORD)
    page.get_by_label("Current password").press("Tab")
    page.keyboard.type(NEW_PASSWORD)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "new_password_again"
    page.keyboard.type(NEW_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_text("Your password is changed.")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("Email").fill("alan@school.test")
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/app/live/$"))
    expect(page.locator(".who__name")).to_have_text("Alan T.")


def test_a_teacher_renames_archives_restores_and_deletes_a_class(server, new_page):
    sign_up_by_api(server, name="Tess Teacher", email="tess@school.test", role="teacher")
    student_id = sign_up_by_api(server, name="Sid Student", email="sid@school.test", role="student")
    class_id = create_class(server, "tess@school.test", "Biolgy", [student_id])
    page = new_page(PHONE)
    sign_in(page, server, "tess@school.test")

    page.get_by_role("link", name="Open class Biolgy").click()
    rename = page.locator("#manage").get_by_label("Class name")
    rename.fill("")
    page.locator("#manage").get_by_role("button", name="Rename").click()
    expect(page.get_by_text("This field is required.")).to_be_visible()
    rename = page.locator("#manage").get_by_label("Class name")
    rename.fill("Biology")
    rename.press("Enter")
    expect(page.get_by_text("Renamed Biolgy to Biology.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Biology")
    assert fits_the_screen(page)

    # A running session must be finished before archiving or deleting.
    assert (
        http(server.http, "POST", "/attendance/start", {"classId": class_id}, token_of(server, "tess@school.test"))[0]
        == 200
    )
    page.reload()
    page.get_by_role("button", name="Archive").click()
    expect(page.get_by_text("Finish the running session of Biology first")).to_be_visible()
    page.goto(server.http + f"/app/classes/{class_id}/live/")
    page.get_by_role("button", name="Finish").click()
    page.get_by_role("button", name="Finish and save").click()
    expect(page.get_by_role("heading", name="Attendance saved")).to_be_visible()
    page.get_by_role("link", name="Back to Biology").click()

    page.get_by_role("button", name="Archive").click()
    expect(page).to_have_url(re.compile(r"/app/$"))
    expect(page.get_by_text("Archived Biology.")).to_be_visible()
    expect(page.get_by_role("link", name="Open class Biology")).to_have_count(0)
    page.get_by_role("link", name="Archived classes (1)").click()
    page.get_by_role("button", name="Restore Biology").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Restored Biology.")).to_be_visible()
    expect(page.get_by_text("This class is archived.")).to_have_count(0)

    page.get_by_role("link", name="Delete…").click()
    expect(page.get_by_role("heading", name="Delete Biology?")).to_be_visible()
    expect(page.get_by_text("1 session", exact=False).first).to_be_visible()
    assert "1 student" in page.locator(".danger-zone").inner_text()
    assert fits_the_screen(page)
    page.get_by_label("Type the class name to confirm").fill("biology")
    page.get_by_role("button", name="Delete Biology and its 1 session").click()
    expect(page.get_by_text("Type the class name exactly as it is: Biology")).to_be_visible()
    page.get_by_label("Type the class name to confirm").fill("Biology")
    page.get_by_role("button", name="Delete Biology and its 1 session").click()
    expect(page).to_have_url(re.compile(r"/app/$"))
    expect(page.get_by_text("Deleted Biology and its history.")).to_be_visible()
    status, body = http(server.http, "GET", f"/class/{class_id}", token=token_of(server, "tess@school.test"))
    assert (status, body["error"]) == (404, "Class not found")


def test_a_student_leaves_a_class_and_the_teachers_roster_follows_live(server, new_page):
    sign_up_by_api(server, name="Lena Teacher", email="lena@school.test", role="teacher")
    leo = sign_up_by_api(server, name="Leo Leaver", email="leo@school.test", role="student")
    mia = sign_up_by_api(server, name="Mia Stayer", email="mia@school.test", role="student")
    class_id = create_class(server, "lena@school.test", "Latin", [leo, mia])
    teacher = new_page(LAPTOP)
    sign_in(teacher, server, "lena@school.test")
    teacher.goto(server.http + f"/app/classes/{class_id}/")
    roster = teacher.locator(".roster .roster__name")
    expect(roster).to_have_text(["Leo Leaver", "Mia Stayer"])
    teacher.evaluate("window.notReloaded = true")
    expect(teacher.locator("[data-class-roster]")).to_be_visible()
    expect(teacher.locator("body")).to_have_attribute("data-connection", "open")

    student = new_page(PHONE)
    sign_in(student, server, "leo@school.test")
    student.get_by_role("link", name="My classes").click()
    expect(student.get_by_text("Teacher: Lena Teacher")).to_be_visible()
    assert fits_the_screen(student)
    student.get_by_role("link", name="Leave… Latin").focus()
    student.keyboard.press("Enter")
    expect(student.get_by_role("heading", name="Leave Latin?")).to_be_visible()
    student.get_by_role("button", name="Leave Latin").click()
    expect(student.get_by_text("You left Latin.")).to_be_visible()
    expect(student.get_by_text("You are not in any class")).to_be_visible()

    expect(roster).to_have_text(["Mia Stayer"])
    assert teacher.evaluate("window.notReloaded") is True
