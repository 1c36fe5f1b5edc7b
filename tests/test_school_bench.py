"""The school benchmark's reconnect storm: a small storm against the reference, and its report."""

import os
import signal

import pytest

from bench.school_run import merge, reference_server, render, render_storm
from bench.school_storm import fake_school, run_storm, truth_reader
from harness.school import School

CLASSES, STUDENTS = 2, 9


@pytest.fixture
def reference():
    """The in-memory reference on two ports of one process; SIGUSR1 kills the first."""
    with reference_server(CLASSES, STUDENTS, workers=2) as (pid, ports):
        yield pid, [f"ws://127.0.0.1:{port}/ws" for port in ports], f"http://127.0.0.1:{ports[1]}/marks"


def test_pages_are_dealt_to_the_workers_in_turn_and_so_are_the_teachers():
    school = School("ws://a/ws", fake_school(4, 3), failover=("ws://b/ws",))
    assert [client.url for client in school.teachers.values()] == [0, 1, 0, 1]
    assert [client.url for client in school.clients[:8]] == [0, 1, 0, 1, 1, 0, 1, 0]


async def test_every_page_of_the_killed_worker_fails_over_and_resyncs_with_nothing_lost(reference):
    pid, urls, marks_url = reference
    result = await run_storm(
        urls,
        fake_school(CLASSES, STUDENTS),
        kill=lambda: os.kill(pid, signal.SIGUSR1),
        read_truth=truth_reader(marks_url),
        rate=4,
        warm=1,
        tail=1,
        timeout=20,
    )
    assert result["ok"], result
    assert result["killed_worker_sockets"] == CLASSES * (STUDENTS + 1) // 2
    # The pages wait at least the backoff's first, jittered half second before they try again.
    assert 0.37 <= result["reconnected_s"] <= result["resynced_s"] < 10
    # Each page tried its own worker first, was refused, and went on at once to the other.
    dropped = result["killed_worker_sockets"]
    assert result["handshakes"] == {"opened": dropped, "failed": 0, "refused_by_killed": dropped, "why": {}}
    assert result["marks"].get("ack", 0) > 0
    assert result["lost"] == 0


async def test_a_server_that_does_not_hold_an_acknowledged_mark_counts_as_lost(reference):
    pid, urls, marks_url = reference
    read = truth_reader(marks_url)

    def forgetful() -> dict[str, dict[str, str]]:
        return {class_id: {} for class_id in read()}  # every mark forgotten

    result = await run_storm(
        urls,
        fake_school(CLASSES, STUDENTS),
        kill=lambda: os.kill(pid, signal.SIGUSR1),
        read_truth=forgetful,
        rate=4,
        warm=1,
        tail=0,
        timeout=20,
        converge=0.5,
    )
    assert not result["ok"]
    assert result["unexplained_marks"] > 0 and result["wrong_views"] > 0
    assert result["lost"] == result["unexplained_marks"] + result["wrong_views"]


def storm_row(reconnected: float, resynced: float, lost: int = 0) -> dict:
    return {
        "ok": not lost,
        "sockets": 2000,
        "killed_worker_sockets": 1000,
        "reconnected_s": reconnected,
        "resynced_s": resynced,
        "not_back": 0,
        "handshakes_opened": 1000,
        "handshakes_failed": 3,
        "refused_by_killed": 2,
        "marks": {"ack": 400, "dropped": 20},
        "wrong_views": 0,
        "unexplained_marks": lost,
        "lost": lost,
        "samples": ["mark present of s in class 1: never answered"] if lost else [],
    }


STORM = {
    "when": "2026-12-03 15:00 UTC",
    "load_before": [1.0, 1.0, 1.0],
    "load_after": [2.0, 2.0, 2.0],
    "step": "40x49",
    "rate": 2.0,
    "rows": {"reference": storm_row(0.6, 0.7), "postgres-2": storm_row(3.0, 3.5, lost=1)},
}


def test_the_storm_table_gives_each_server_its_figures_and_the_ratios_to_the_reference():
    lines = render_storm(STORM)
    row = next(line for line in lines if line.startswith("| project, 2 workers, PostgreSQL"))
    assert row == (
        "| project, 2 workers, PostgreSQL | 2000 (1000) | 3.0 | 3.5 | 3 | 2 | 400 ack, 20 dropped | 1 | 5.0 | 5.0 |"
    )
    assert any("lost on project, 2 workers, PostgreSQL" in line and "never answered" in line for line in lines)


def test_running_one_part_keeps_the_saved_figures_of_the_other():
    saved = {"when": "earlier", "steps": {"20x30": {"reference": {}}}, "reconnect": {"step": "old"}}
    storm_only = merge(saved, {"when": "now", "steps": {}, "reconnect": STORM}, "reconnect")
    assert storm_only["steps"] == saved["steps"] and storm_only["when"] == "earlier"
    assert storm_only["reconnect"] is STORM
    steps_only = merge(saved, {"when": "now", "steps": {"50x40": {}}}, "steps")
    assert steps_only == {"when": "now", "steps": {"50x40": {}}, "reconnect": {"step": "old"}}


def test_a_report_of_the_storm_alone_renders():
    report = render({"steps": {}, "reconnect": STORM})
    assert "## Reconnect storm: 40 classes x 49 students" in report
    assert "Targets" not in report


def step_row(connect: float, p99: float) -> dict:
    return {
        "ok": True,
        "connect_per_s": connect,
        "connect_failed": 0,
        "p50_ms": p99 / 2,
        "p99_ms": p99,
        "max_ms": p99 * 2,
        "marks_per_s": 80.0,
        "marks": "1600/1600",
        "missing": 0,
        "unexpected": 0,
        "closed": 0,
        "done": "20/20",
    }


STEPS = {
    "when": "now",
    "machine": "test",
    "load_before": [1.0, 1.0, 1.0],
    "load_after": [1.0, 1.0, 1.0],
    "rate": 4.0,
    "seconds": 20.0,
    "in_flight": 200,
    "steps": {
        "20x30": {
            "reference": step_row(4000.0, 2.0),
            "floor-asgi": {"ok": True, "connect_per_s": 3000.0, "connect_failed": 0},
            "floor-channels": {"ok": True, "connect_per_s": 2000.0, "connect_failed": 0},
            "sqlite-1": step_row(1000.0, 3.0),
        }
    },
}


def test_the_report_sets_the_connect_rate_against_what_daphne_accepts_doing_nothing():
    report = render(STEPS)
    assert "| Daphne + a Channels consumer accepting, nothing else (connect storm only) | 2000.0, 0 | " in report
    floor = next(line for line in report.splitlines() if line.startswith("| Daphne accepting"))
    assert floor.endswith("| 0.75 |") and floor.count("| – ") == 8
    assert "- 20x30, project, 1 worker, SQLite: mark p99 1.5x the reference (met" in report
    assert "connect rate 0.25x (NOT met" in report
    assert (
        "- 20x30: the connect rate's ceiling on Daphne and Channels (a consumer that accepts and does nothing "
        "else) is 0.5x the reference; project, 1 worker, SQLite opens 0.5x of it"
    ) in report


async def test_the_client_can_run_the_connect_storm_alone():
    from bench.school import fake_classes, run_school

    with reference_server(CLASSES, STUDENTS) as (_, ports):
        result = await run_school(
            [f"ws://127.0.0.1:{ports[0]}/ws"],
            fake_classes(CLASSES, STUDENTS),
            rate=4,
            seconds=1,
            concurrency=10,
            timeout=5,
            connect_only=True,
        )
    assert result["ok"] and result["connect"]["sockets"] == CLASSES * (STUDENTS + 1)
    assert result["connect"]["failed"] == 0 and "marks" not in result
