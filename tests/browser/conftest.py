"""Chromium through Playwright against the real server process; screenshots of failures."""

import re
from pathlib import Path

import pytest

from harness.server import ROOT, ServerProcess
from tests.realserver.wire import http
from tests.services import require_browser

ARTIFACTS = ROOT / "test-artifacts"
BROWSER_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
PASSWORD = "browser-pass-1"


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Remember each phase's report on the test item, for the screenshot fixture."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


def start_server(directory: Path) -> ServerProcess:
    """Migrate, collect static files (DEBUG=0 serves them through WhiteNoise) and start."""
    server = ServerProcess(database=directory / "browser.sqlite3")
    server.migrate()
    server.manage("collectstatic", "--noinput", "-v0")
    return server.start()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("browser"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def chromium():
    executable = require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=BROWSER_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def new_page(chromium, request):
    """Open a page in a fresh browser context (its own cookies); failures leave screenshots."""
    contexts = []

    def open_page(viewport: dict = LAPTOP, **options):
        context = chromium.new_context(viewport=viewport, accept_downloads=True, **options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        for number, context in enumerate(contexts):
            for index, page in enumerate(context.pages):
                try:
                    page.screenshot(path=str(ARTIFACTS / f"{name}-{number}-{index}.png"), full_page=True)
                except Exception as exc:
                    print(f"could not save a screenshot of {page.url}: {exc}")
    for context in contexts:
        context.close()


def sign_up_by_api(server: ServerProcess, *, name: str, email: str, role: str) -> str:
    """Create an account through the JSON API and return its id."""
    status, body = http(
        server.http, "POST", "/auth/signup", {"name": name, "email": email, "password": PASSWORD, "role": role}
    )
    assert status == 201, body
    return body["data"]["_id"]


def token_of(server: ServerProcess, email: str) -> str:
    status, body = http(server.http, "POST", "/auth/login", {"email": email, "password": PASSWORD})
    assert status == 200, body
    return body["data"]["token"]


def sign_in(page, server: ServerProcess, email: str) -> None:
    """Sign in through the login page."""
    page.goto(server.http + "/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/app/"))


def running_class(server: ServerProcess, *, teacher_email: str, class_name: str, student_ids) -> str:
    """Create a class of the teacher's with these students and start its session, through the API."""
    token = token_of(server, teacher_email)
    status, body = http(server.http, "POST", "/class", {"className": class_name}, token)
    assert status == 201, body
    class_id = body["data"]["_id"]
    for student_id in student_ids:
        assert http(server.http, "POST", f"/class/{class_id}/add-student", {"studentId": student_id}, token)[0] == 200
    assert http(server.http, "POST", "/attendance/start", {"classId": class_id}, token)[0] == 200
    return class_id
