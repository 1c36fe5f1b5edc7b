"""Reconnect-storm load client: a worker killed under a school's sockets, every page failing over.

Usage:
    # against bench/school_reference.py --workers 2 (SIGUSR1 kills its first port)
    python -m bench.school_storm --url ws://127.0.0.1:8765/ws --url ws://127.0.0.1:8766/ws \\
        --fake-classes 40 --students 49 --kill-pid PID --kill-signal USR1 --truth http://127.0.0.1:8766/marks

    # against two workers of the project on one database, seeded by `manage.py loadtest_seed --classes`
    python -m bench.school_storm --url ws://127.0.0.1:8001/ws --url ws://127.0.0.1:8002/ws \\
        --setup-file school.json --kill-pid PID_OF_8001 --truth postgres://postgres@127.0.0.1:5432/school

    Options: --rate 2 (marks/s per teacher) --warm 5 --tail 3 --timeout 120

Prints one JSON object; exits 1 unless every client came back and nothing was lost.

Every teacher and student is a page (harness.school.School): the sockets are dealt to the --url
workers in turn, so the first worker holds half of them; a page opts in with SUBSCRIBE, and after
a drop it waits the pages' backoff (0.5 s doubling to 8 s, jittered), connects again (a refused
connection, the dead worker's, goes on at once to the next URL, as a proxy retries another
worker) and resyncs with CATCH_UP since the last `seq` it holds. Teachers mark at --rate
marks/s each, one mark at a time. After --warm seconds of marking the first worker is killed
(--kill-signal to --kill-pid). Measured from the kill, over the pages that were open on it:

- reconnected_s: until the last of them had a connection again;
- resynced_s: until the last of them had the answer to its CATCH_UP (or SUBSCRIBE) applied;
- handshakes made after the kill: opened, failed on a surviving worker (reset, timed out or
  answered with an HTTP status; why, counted), refused by the killed one (passed on at once);
- lost: once marking has stopped (--tail seconds after every page was back), the connected pages
  whose view still differs from what the server holds (--truth: its database, or the reference's
  `GET /marks`) after --converge seconds, and the marks acknowledged to a teacher that the
  server does not hold (harness.school.School.unexplained_marks). Pages that never came back
  within --timeout are counted apart (not_back).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import signal
import time
import urllib.request
from collections.abc import Callable
from typing import Any

from bench.fanout import raise_fd_limit
from bench.school import fake_classes, report, school_arguments
from harness.school import Client, School, postgres_marks, sqlite_marks

CONNECT_IN_FLIGHT = 50


def fake_school(classes: int, students: int) -> list[dict[str, Any]]:
    """bench/school_reference.py's classes as harness.school.School takes them."""
    return [
        {
            "classId": klass["class_id"],
            "teacher": {"id": f"teacher-{klass['class_id']}", "token": klass["teacher_token"]},
            "students": [
                {"id": student_id, "token": token}
                for student_id, token in zip(klass["student_ids"], klass["student_tokens"], strict=True)
            ],
        }
        for klass in fake_classes(classes, students)
    ]


def truth_reader(truth: str) -> Callable[[], dict[str, dict[str, str]]]:
    """{classId: {studentId: status}} as the server holds it: an HTTP URL, a PostgreSQL URL or a SQLite file."""
    if truth.startswith("http"):

        def fetch() -> dict[str, dict[str, str]]:
            with urllib.request.urlopen(truth, timeout=10) as response:
                return json.load(response)

        return fetch
    if truth.startswith("postgres"):
        return functools.partial(postgres_marks, truth)
    return functools.partial(sqlite_marks, truth)


def handshakes_after(school: School, since: float, killed_url: str) -> dict[str, Any]:
    """Handshakes made from `since` on: opened, failed on a surviving worker (and why), refused by the killed one."""
    counts: dict[str, Any] = {"opened": 0, "failed": 0, "refused_by_killed": 0, "why": {}}
    for attempt in school.attempts:
        if attempt.kind != "reconnect" or attempt.at < since:
            continue
        if attempt.status == 101:
            counts["opened"] += 1
        elif attempt.url == killed_url:
            counts["refused_by_killed"] += 1
        else:
            counts["failed"] += 1
            why = f"{attempt.status or 'no answer'}: {attempt.body[:80]}"
            counts["why"][why] = counts["why"].get(why, 0) + 1
    return counts


async def until_back(dropped: list[Client], opened_before: list[int], timeout: float) -> bool:
    """Wait until every dropped page has a new connection and is synced on it; False after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not all(c.synced and c.opened > n for c, n in zip(dropped, opened_before, strict=True)):
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def run_storm(
    urls: list[str],
    classes: list[dict[str, Any]],
    *,
    kill: Callable[[], None],
    read_truth: Callable[[], dict[str, dict[str, str]]],
    rate: float = 2.0,
    warm: float = 5.0,
    tail: float = 3.0,
    timeout: float = 120.0,
    converge: float = 30.0,
) -> dict[str, Any]:
    """Connect every page, mark, kill the first worker, wait for every page to come back; the figures."""
    raise_fd_limit()
    school = School(urls[0], classes, failover=tuple(urls[1:]), marks_per_second=rate)
    result: dict[str, Any] = {"sockets": len(school.clients), "classes": len(classes)}
    try:
        result["connect_s"] = round(await school.connect(timeout=timeout, concurrency=CONNECT_IN_FLIGHT), 2)
        school.start_marking()
        await asyncio.sleep(warm)
        on_killed = [c for c in school.clients if c.connection is not None and c.url == 0]
        opened_before = [c.opened for c in on_killed]
        kill()
        killed_at = time.monotonic()
        back = await until_back(on_killed, opened_before, timeout)
        result["killed_worker_sockets"] = len(on_killed)
        result["all_back"] = back
        if back and on_killed:
            result["reconnected_s"] = round(max(c.opened_at for c in on_killed) - killed_at, 2)
            result["resynced_s"] = round(max(c.synced_at for c in on_killed) - killed_at, 2)
        else:
            result["reconnected_s"] = result["resynced_s"] = None
            result["not_back"] = sum(
                not (c.synced and c.opened > n) for c, n in zip(on_killed, opened_before, strict=True)
            )
        result["handshakes"] = handshakes_after(school, killed_at, urls[0])
        await asyncio.sleep(tail)  # marking goes on through the surviving worker
        await school.stop_marking()
        _, wrong = await school.converge(read_truth, since=killed_at, timeout=converge)
        unexplained = school.unexplained_marks(await asyncio.to_thread(read_truth))
        # A page with no connection shows nothing: it counts among those that never came back, not as lost.
        unconnected = sum(not client.synced for client in school.clients)
        wrong = [text for text in wrong if not text.endswith(": not connected")]
    finally:
        await school.close()
    result["marks"] = school.outcomes()
    result["unconnected_at_end"] = unconnected
    result["wrong_views"] = len(wrong)
    result["unexplained_marks"] = len(unexplained)
    result["lost"] = len(wrong) + len(unexplained)
    result["samples"] = (wrong + unexplained)[:5]
    result["ok"] = bool(back and not result["lost"])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    school_arguments(parser, url_help="a worker's ws:// URL; the first is killed", students=49)
    parser.add_argument("--kill-pid", type=int, required=True, help="the process of the first --url")
    parser.add_argument("--kill-signal", default="KILL", help="KILL for a worker, USR1 for the reference")
    parser.add_argument("--truth", required=True, help="http://…/marks, postgres://… or a SQLite file")
    parser.add_argument("--rate", type=float, default=2.0, help="marks per second per teacher")
    parser.add_argument("--warm", type=float, default=5.0, help="seconds of marking before the kill")
    parser.add_argument("--tail", type=float, default=3.0, help="seconds of marking once every page is back")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for every page to come back")
    args = parser.parse_args()
    if args.setup_file:
        with open(args.setup_file) as handle:
            classes = json.load(handle)["classes"]
    else:
        classes = fake_school(args.fake_classes, args.students)
    sig = getattr(signal, f"SIG{args.kill_signal.upper().removeprefix('SIG')}")
    result = asyncio.run(
        run_storm(
            args.url,
            classes,
            kill=lambda: os.kill(args.kill_pid, sig),
            read_truth=truth_reader(args.truth),
            rate=args.rate,
            warm=args.warm,
            tail=args.tail,
            timeout=args.timeout,
        )
    )
    report(result)


if __name__ == "__main__":
    main()
