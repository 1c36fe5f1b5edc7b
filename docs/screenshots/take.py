"""Take the README screenshots from the running app: `.venv/bin/python docs/screenshots/take.py`.

Starts the real server on a temporary SQLite file with the demo data (`seed_demo`) and a few
weeks of finished sessions, then drives Chromium (Playwright, Debian's `chromium` package)
through a live session: a teacher marks students while three students watch on phones, then
opens self check-in (the projector, a phone typing the code, a flagged check-in and a claim).
Writes the PNGs next to this file.
"""

import os
import re
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from harness.server import ServerProcess  # noqa: E402

PASSWORD = "demo-pass-123"
TEACHER = "teacher@demo.school"
CLASS = "Mathematics 7A"
# Past results, oldest first: who was absent in each finished session.
ABSENT_BY_WEEK = [
    {"Donald Knuth"},
    {"Donald Knuth", "Edsger Dijkstra"},
    set(),
    {"Margaret Hamilton"},
    {"Donald Knuth", "Grace Hopper", "Dennis Ritchie"},
    {"Barbara Liskov"},
]
REQUIRED_RATE = 75
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
BROWSER_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]


def manage(server: ServerProcess, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=server.env, check=True)


def add_history(server: ServerProcess) -> None:
    """Finish a session a week for the last weeks, through the services, then date them back."""
    os.environ.update(server.env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "attendance_project.settings.production"
    import django

    django.setup()
    from django.utils import timezone

    from accounts.models import User
    from attendance import services
    from attendance.models import AttendanceRecord, AttendanceSession
    from classes.models import Class, Enrollment

    teacher = User.objects.get(email=TEACHER)
    klass = Class.objects.get(teacher=teacher, class_name=CLASS)
    students = User.objects.filter(pk__in=Enrollment.objects.filter(klass=klass).values("student_id"))
    today = timezone.now().replace(hour=9, minute=0, second=0, microsecond=0)
    for week, absent in enumerate(ABSENT_BY_WEEK):
        session = services.session_start(teacher=teacher, klass=klass)
        for student in students:
            status = "absent" if student.name in absent else "present"
            services.attendance_mark(session=session, student_id=str(student.pk), status=status, by=teacher)
        services.session_finish(session=session)
        started = today - timedelta(weeks=len(ABSENT_BY_WEEK) - week)
        AttendanceSession.objects.filter(pk=session.pk).update(
            started_at=started, ended_at=started + timedelta(minutes=6)
        )
        AttendanceRecord.objects.filter(session=session).update(marked_at=started + timedelta(minutes=3))
    # A required rate: the class page flags those at risk, each student's page shows their budget.
    from attendance.policy import policy_update

    policy_update(klass=klass, required_rate=REQUIRED_RATE)


def sign_in(context, server: ServerProcess, email: str):
    page = context.new_page()
    page.goto(server.http + "/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    return page


def wait_live(page) -> None:
    page.locator('[data-conn][data-state="open"]').wait_for()


def shoot(page, name: str, *, full_page: bool = False) -> None:
    page.wait_for_timeout(400)  # let the status change animation settle
    path = OUT / name
    page.screenshot(path=str(path), full_page=full_page, animations="disabled")
    print(f"{path.relative_to(ROOT)}: {path.stat().st_size // 1024} KB")


def api(server: ServerProcess, method: str, path: str, body: dict, email: str) -> dict:
    """Call the JSON API as one of the demo users."""
    from tests.realserver.wire import http

    _, login = http(server.http, "POST", "/auth/login", {"email": email, "password": PASSWORD})
    status, answer = http(server.http, method, path, body, login["data"]["token"])
    assert status == 200, answer
    return answer["data"]


def check_in(server: ServerProcess, teacher, phones: dict) -> None:
    """Self check-in: the projector, a phone typing the code, a flagged check-in and a claim on the grid."""
    live_url = teacher.url
    class_id = teacher.locator("[data-live-teacher]").get_attribute("data-class-id")
    teacher.get_by_role("button", name="Open check-in").click()
    teacher.locator("[data-code]").filter(has_text=re.compile(r"\d{3} \d{3}")).wait_for()
    code = teacher.locator("[data-code]").inner_text().replace(" ", "")
    katherine = phones["katherine.johnson"]
    katherine.get_by_label("Code on the projector").fill(code[:3] + " " + code[3:])
    shoot(katherine, "student-checkin-phone.png")
    katherine.get_by_role("button", name="Check in").click()
    katherine.get_by_text("You are checked in: present.").wait_for()
    # Margaret checks in from a script without ever opening her page: flagged for the teacher to look at.
    api(server, "POST", "/attendance/check-in", {"classId": class_id, "code": code}, "margaret.hamilton@demo.school")
    # Barbara, marked absent, says she is here: a pending claim on the grid.
    api(server, "POST", "/attendance/claim", {"classId": class_id}, "barbara.liskov@demo.school")
    teacher.locator("[data-checked-in]").filter(has_text="2").wait_for()
    shoot(teacher, "projector-laptop.png")
    teacher.goto(live_url)
    wait_live(teacher)
    teacher.locator(".claim:visible").wait_for()
    teacher.locator("[data-flags]:visible").first.scroll_into_view_if_needed()
    shoot(teacher, "teacher-checkin-flags-laptop.png")


def main() -> None:
    from playwright.sync_api import sync_playwright

    from tests.services import CHROMIUM

    with tempfile.TemporaryDirectory() as tmp:
        server = ServerProcess(database=Path(tmp) / "screenshots.sqlite3")
        server.migrate()
        manage(server, "collectstatic", "--noinput", "-v0")
        manage(server, "seed_demo")
        add_history(server)
        server.start()
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS, headless=True)
                options = {"locale": "en-GB", "timezone_id": "Europe/London"}
                laptop = browser.new_context(viewport=LAPTOP, **options)
                teacher = sign_in(laptop, server, TEACHER)
                teacher.get_by_role("link", name=CLASS, exact=True).click()
                shoot(teacher, "class-page-laptop.png", full_page=True)
                teacher.get_by_role("button", name="Start attendance").click()
                wait_live(teacher)

                phones = {}
                for name in ["alan.turing", "grace.hopper", "katherine.johnson", "dennis.ritchie"]:
                    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, **options)
                    phones[name] = sign_in(context, server, f"{name}@demo.school")
                    wait_live(phones[name])
                for student, clicks in [
                    ("Alan Turing", 1),
                    ("Grace Hopper", 1),
                    ("Barbara Liskov", 2),
                    ("Dennis Ritchie", 1),
                    ("Edsger Dijkstra", 1),
                ]:
                    for _ in range(clicks):
                        button = teacher.get_by_role("button", name=re.compile("^" + student))
                        status = button.get_attribute("data-status")
                        button.click()
                        teacher.locator(f'[data-status]:not([data-status="{status}"])', has_text=student).wait_for()
                # Late and excused are one more gesture away: the ⋯ menu.
                for student, status in [("Donald Knuth", "Late"), ("Edsger Dijkstra", "Excused")]:
                    teacher.get_by_role("button", name=f"Late, excused and more for {student}").click()
                    teacher.get_by_role("menuitemradio", name=status).click()
                    teacher.locator(f'[data-status="{status.lower()}"]', has_text=student).wait_for()
                shoot(teacher, "teacher-live-laptop.png")
                shoot(phones["alan.turing"], "student-phone.png")
                shoot(phones["katherine.johnson"], "student-waiting-phone.png")
                budget = phones["grace.hopper"].locator("[data-budget]").first
                budget.locator("summary").click()
                budget.evaluate("node => node.closest('.history-card').scrollIntoView()")
                shoot(phones["grace.hopper"], "student-budget-phone.png")

                phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, **options)
                teacher_phone = sign_in(phone, server, TEACHER)
                teacher_phone.get_by_role("link", name="Resume session").first.click()
                wait_live(teacher_phone)
                shoot(teacher_phone, "teacher-live-phone.png")
                check_in(server, teacher, phones)

                # A correction of last week's session, with a note.
                teacher.goto(f"{server.http}/app/")
                teacher.get_by_role("link", name=CLASS, exact=True).click()
                teacher.locator("table tbody tr th a").first.click()
                record = teacher.locator(".record", has=teacher.get_by_role("heading", name="Barbara Liskov"))
                record.get_by_label("Status").select_option("excused")
                record.get_by_label("Note").fill("Doctor's appointment, letter handed in on Monday")
                record.get_by_role("button", name="Save correction for Barbara Liskov").click()
                record = teacher.locator(".record", has=teacher.get_by_role("heading", name="Barbara Liskov"))
                record.get_by_text("1 correction").click()
                record.scroll_into_view_if_needed()
                shoot(teacher, "session-correction-laptop.png")
                browser.close()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
