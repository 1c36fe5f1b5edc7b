"""A student's absence budget on a phone: it changes as sessions end, without reloading the page."""

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, sign_in, sign_up_by_api, token_of
from tests.realserver.wire import Socket, http

pytestmark = [pytest.mark.browser, pytest.mark.server]


def run_session(server, teacher_token: str, class_id: str, marks: dict[str, str]) -> None:
    """Start a session over HTTP, mark over the WebSocket, send DONE."""
    status, body = http(server.http, "POST", "/attendance/start", {"classId": class_id}, token=teacher_token)
    assert status == 200, body

    async def mark_and_finish() -> None:
        socket = await Socket.open(server.ws, teacher_token)
        try:
            for student_id, status in marks.items():
                await socket.send("ATTENDANCE_MARKED", {"studentId": student_id, "status": status, "classId": class_id})
                await socket.expect("ATTENDANCE_MARKED", studentId=student_id)
            await socket.send("DONE", {"classId": class_id})
            while (await socket.recv())["event"] != "DONE":
                pass
        finally:
            await socket.close()

    # Playwright's sync API keeps an event loop on this thread: the socket gets a thread of its own.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, mark_and_finish()).result()


def test_the_student_watches_their_budget_shrink_and_sees_how_to_get_back(server, new_page):
    sign_up_by_api(server, name="Rita Teacher", email="rita@school.test", role="teacher")
    student_id = sign_up_by_api(server, name="Sol Student", email="sol@school.test", role="student")
    teacher = token_of(server, "rita@school.test")
    status, body = http(server.http, "POST", "/class", {"className": "History 10"}, token=teacher)
    class_id = body["data"]["_id"]
    http(server.http, "POST", f"/class/{class_id}/add-student", {"studentId": student_id}, token=teacher)
    status, body = http(server.http, "PATCH", f"/class/{class_id}/policy", {"requiredRate": 75}, token=teacher)
    assert status == 200 and body["data"]["requiredRate"] == 75, body
    for _ in range(3):
        run_session(server, teacher, class_id, {student_id: "present"})

    sol = new_page(PHONE)
    sign_in(sol, server, "sol@school.test")
    budget = sol.locator("[data-history-class] [data-budget]")
    expect(budget).to_contain_text("You can miss 1 more session")  # 3 of 3; 3 of 4 is still 75%
    expect(budget).to_contain_text("and stay at or above the 75% required.")
    sol.evaluate("window.notReloaded = true")

    # The explanation opens from the keyboard.
    summary = budget.get_by_text("How this is worked out")
    summary.focus()
    sol.keyboard.press("Enter")
    expect(budget.get_by_text(re.compile(r"Your rate is the sessions you attended .*: 3 of 3, 100.0%"))).to_be_visible()

    # One absence: at the line.
    run_session(server, teacher, class_id, {student_id: "absent"})
    expect(budget.locator("[data-can-miss]")).to_have_text("0")
    expect(budget).to_contain_text("The next absence puts you below.")
    expect(budget).to_have_attribute("data-level", "at_risk")

    # Another: below, and what it takes to get back.
    run_session(server, teacher, class_id, {student_id: "absent"})
    expect(budget).to_have_attribute("data-level", "below")
    expect(budget).to_contain_text("Below the 75% required")
    expect(budget).to_contain_text("Attend the next 3 sessions in a row to get back to 75%.")
    assert sol.evaluate("window.notReloaded") is True
    assert sol.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
