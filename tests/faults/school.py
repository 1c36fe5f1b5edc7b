"""A fault during a school's load, checked the same way in every scenario.

Each scenario seeds a few classes with a running session, connects every teacher and
student (harness.school.School: clients that behave as the site's pages), lets the
teachers mark, causes its fault mid-marking, lets marking go on until every class has had a
mark acknowledged after the fault ended, and then checks:

- every mark sent was acknowledged and is what the database kept, or was answered with an
  ERROR (or lost with a dropped connection, which the page shows and resyncs after); none
  went unanswered;
- no HTTP request or handshake was answered with a 5xx, except a 503 in the contract's
  envelope, and none made once the fault began waited more than ANSWER_WITHIN seconds;
- every client's view equals the database within CONVERGE_WITHIN seconds of the fault's end;
  the seconds until the last client converged are measured and reported.

The load is small by default (CI: 4 classes of 24, 100 sockets); FAULTS_CLASSES and
FAULTS_STUDENTS make a larger school.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from harness.school import School

CLASSES = int(os.environ.get("FAULTS_CLASSES", "4"))
STUDENTS = int(os.environ.get("FAULTS_STUDENTS", "24"))
MARKS_PER_SECOND = float(os.environ.get("FAULTS_MARKS_PER_SECOND", "2"))
# Marking before the fault, and at least this long after it.
WARM_SECONDS = 3.0
TAIL_SECONDS = 2.0
# Live marking must be back in every class, and every screen right, within these bounds.
RESUME_WITHIN = 30.0
CONVERGE_WITHIN = 30.0
# No request or handshake made once the fault began may wait longer than this for its answer.
ANSWER_WITHIN = 6.0

# One line per scenario run, printed at the end of the session (tests/faults/conftest.py).
FIGURES: list[str] = []


@dataclass
class Result:
    """What a scenario measured."""

    name: str
    sockets: int
    outcomes: dict[str, int]
    fault_seconds: float
    resumed_after: float
    converged_after: float
    reconnects: int
    statuses: dict[str, dict[int, int]]
    slowest: dict[str, float]
    errors: dict[str, int]

    def line(self) -> str:
        outcomes = ", ".join(f"{count} {outcome}" for outcome, count in sorted(self.outcomes.items()))
        statuses = "; ".join(
            f"{kind} "
            + " ".join(f"{status or 'no answer'}×{count}" for status, count in sorted(row.items()))
            + f" (slowest {self.slowest[kind]:.1f}s)"
            for kind, row in sorted(self.statuses.items())
        )
        errors = ", ".join(f"{message!r}×{count}" for message, count in sorted(self.errors.items())) or "none"
        return (
            f"{self.name}: {self.sockets} sockets, fault {self.fault_seconds:.1f}s; marks: {outcomes}; "
            f"ERRORs: {errors}; live marking back {self.resumed_after:.1f}s and every client converged "
            f"{self.converged_after:.1f}s after the fault ended; {self.reconnects} reconnects; {statuses}"
        )


async def run_school_scenario(
    name: str,
    school: School,
    fault: Callable[[], Awaitable[None]],
    read_database: Callable[[], dict[str, dict[str, str]]],
) -> Result:
    """Connect, mark, run `fault` (it returns once the fault is over), then check; see the module."""
    await school.connect()
    opened_before = sum(client.opened for client in school.clients)
    school.start_probing()
    school.start_marking()
    try:
        await asyncio.sleep(WARM_SECONDS)
        fault_started = time.monotonic()
        await fault()
        fault_ended = time.monotonic()
        resumed_after, silent = await until_every_class_marks_again(school, fault_ended)
        await school.stop_marking()
        converged_after, wrong = await school.converge(read_database, since=fault_ended, timeout=CONVERGE_WITHIN)
        await school.stop_probing()
        database = await asyncio.to_thread(read_database)
    finally:
        await school.close()

    errors: dict[str, int] = {}
    for client in school.clients:
        for message in client.errors:
            errors[message] = errors.get(message, 0) + 1
    result = Result(
        name=name,
        sockets=len(school.clients),
        outcomes=school.outcomes(),
        fault_seconds=fault_ended - fault_started,
        resumed_after=resumed_after,
        converged_after=converged_after,
        reconnects=sum(client.opened for client in school.clients) - opened_before,
        statuses=school.statuses(),
        slowest=school.slowest(),
        errors=errors,
    )
    FIGURES.append(result.line())
    print(result.line())

    assert not silent, f"{silent} classes had no mark acknowledged {RESUME_WITHIN:.0f}s after the fault"
    assert not wrong, f"{len(wrong)} clients still differ from the database {CONVERGE_WITHIN:.0f}s after: {wrong[:5]}"
    assert school.unexplained_marks(database) == []
    assert school.server_errors() == [], school.server_errors()[:5]
    slow = [a for a in school.attempts if a.at >= fault_started and a.seconds > ANSWER_WITHIN]
    assert slow == [], f"{len(slow)} requests or handshakes waited over {ANSWER_WITHIN:.0f}s: {slow[:5]}"
    assert sum(mark.answered_at is not None and mark.answered_at < fault_started for mark in acked(school)) > 0
    return result


def acked(school: School):
    return [mark for mark in school.marks if mark.outcome == "ack"]


async def until_every_class_marks_again(school: School, since: float) -> tuple[float, int]:
    """Mark on until every class has had a mark sent after `since` acknowledged.

    Return how long that took, and how many classes had none within RESUME_WITHIN seconds.
    """
    deadline = since + RESUME_WITHIN
    while True:
        now = time.monotonic()
        firsts = {}
        for mark in acked(school):
            if mark.sent_at >= since:
                firsts.setdefault(mark.class_id, mark.answered_at)
        if len(firsts) == len(school.classes) and now >= since + TAIL_SECONDS:
            return max(firsts.values()) - since, 0
        if now > deadline:
            return now - since, len(school.classes) - len(firsts)
        await asyncio.sleep(0.1)
