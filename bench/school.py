"""School load client: every socket of many classes open at once, every teacher marking at a human pace.

Usage:
    # against bench/school_reference.py (fake tokens, see there)
    python -m bench.school --url ws://127.0.0.1:8765/ws --fake-classes 20 --students 30

    # against the project, with classes seeded by `manage.py loadtest_seed --classes 20 --students 30`
    python -m bench.school --url ws://127.0.0.1:8001/ws --url ws://127.0.0.1:8002/ws --setup-file school.json

    Options: --rate 4 (marks/s per teacher) --seconds 20 --connect-concurrency 200 --timeout 15
    --connect-only (the connect storm and nothing else, for a server that only accepts)

Prints one JSON object; exits 1 if a socket missed, reordered or got an unexpected frame.

Phases:
- connect storm: every socket (teachers first in the list, then the students, class by class)
  with at most --connect-concurrency handshakes in flight, each tried once, then closed again.
  Sockets are dealt to the --url workers in turn, so a class's teacher and students sit on
  different workers. A socket of the project is subscribed to its class by the time it is open
  (the contract), so "open" is "subscribed". Reports sockets/s from the first connect to the
  last socket open, and how many failed.
- open: every socket again, 20 handshakes in flight, a refused or reset one tried again after
  0.5, 1, 2, 4 s (as the pages do); the sockets the marking phase uses.
- marking: each teacher marks at --rate marks/s for --seconds (teachers start staggered over one
  period, as people do), without waiting for answers. A mark's latency runs from the teacher's
  send to the moment the last socket of its class (the teacher's own included) has it.
- DONE: every teacher sends DONE; each class's sockets must all receive it.

Marks are matched per socket in order (as bench/fanout.py does): mark i of a class is
(ids[i % M], status alternating with i // M), so a frame that matches a later mark counts the
skipped ones as missing. Extra fields (`classId`, `sessionId`, `seq`) are ignored.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import time
from typing import Any, NoReturn

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from bench.fanout import RawReceiver, latency_stats, raise_fd_limit, socket_url

STATUSES = ("present", "absent")
RETRIES = 5
OPEN_IN_FLIGHT = 20


class SchoolRun:
    """The sockets and per-mark bookkeeping of every class of one run."""

    def __init__(self, classes: list[dict[str, Any]], urls: list[str], timeout: float) -> None:
        self.classes = classes
        self.urls = urls
        self.timeout = timeout
        # Socket index -> class index; the teachers come first, then each class's students.
        self.owner: list[int] = []
        self.teachers: list[ClientConnection | None] = [None] * len(classes)
        self.raw: list[RawReceiver] = []
        self.tasks: list[asyncio.Task[None]] = []
        self.sockets_of = [1 + len(c["student_tokens"]) for c in classes]
        # Per class: the marks sent, when, and how many sockets still lack each.
        self.keys: list[list[tuple[str, str]]] = [[] for _ in classes]
        self.sent_at: list[list[float]] = [[] for _ in classes]
        self.done_at: list[list[float]] = [[] for _ in classes]
        self.remaining: list[list[int]] = [[] for _ in classes]
        self.done_frames = [0] * len(classes)
        self.done_totals: list[set[int]] = [set() for _ in classes]
        # Per socket.
        self.next_mark: list[int] = []
        self.missing: list[int] = []
        self.unexpected: list[int] = []
        self.samples: list[str] = []
        self.closed = 0
        self.retries = 0
        self.shutting_down = False
        self.progress = asyncio.Event()
        self.parsed: dict[bytes, tuple[str, Any] | None] = {}

    def note(self, text: str) -> None:
        if len(self.samples) < 20:
            self.samples.append(text)

    def mark(self, klass: int, n: int) -> tuple[str, str]:
        ids = self.classes[klass]["student_ids"]
        return ids[n % len(ids)], STATUSES[(n // len(ids)) % 2]

    # Connecting ---------------------------------------------------------------------------

    async def open_all(self, concurrency: int, retries: int = RETRIES) -> dict[str, Any]:
        """Open every socket, at most `concurrency` handshakes at once; return the connect figures."""
        plan: list[tuple[int, str, bool]] = [(c, k["teacher_token"], True) for c, k in enumerate(self.classes)]
        for c, klass in enumerate(self.classes):
            plan += [(c, token, False) for token in klass["student_tokens"]]
        self.owner = [c for c, _, _ in plan]
        n = len(plan)
        self.next_mark, self.missing, self.unexpected = [0] * n, [0] * n, [0] * n
        gate = asyncio.Semaphore(concurrency)
        loop = asyncio.get_running_loop()

        async def open_one(idx: int, klass: int, token: str, teacher: bool) -> None:
            # As the pages do: a refused or dropped handshake is tried again after a pause.
            for attempt in range(retries):
                try:
                    return await try_one(idx, klass, token, teacher)
                except (OSError, TimeoutError, InvalidHandshake):
                    if attempt == retries - 1:
                        raise
                    self.retries += 1
                    await asyncio.sleep(0.5 * 2**attempt)

        async def try_one(idx: int, klass: int, token: str, teacher: bool) -> None:
            url = socket_url(self.urls[idx % len(self.urls)], token)
            async with gate:
                if teacher:
                    ws = await connect(
                        url, open_timeout=self.timeout, ping_interval=None, compression=None, max_queue=None
                    )
                    self.teachers[klass] = ws
                    self.tasks.append(asyncio.create_task(self.reader(idx, ws)))
                    return
                host, port = url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)
                _, proto = await asyncio.wait_for(
                    loop.create_connection(lambda: RawReceiver(self, idx, url, None), host, int(port)), self.timeout
                )
                try:
                    await asyncio.wait_for(proto.opened, self.timeout)
                except BaseException:
                    proto.close()
                    raise
                self.raw.append(proto)

        started = time.perf_counter()
        results = await asyncio.gather(
            *(open_one(i, c, token, teacher) for i, (c, token, teacher) in enumerate(plan)), return_exceptions=True
        )
        took = time.perf_counter() - started
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors:
            kinds: dict[str, int] = {}
            for error in errors:
                kinds[repr(error)[:160]] = kinds.get(repr(error)[:160], 0) + 1
            self.note(f"{len(errors)} sockets failed to open: {kinds}")
        return {
            "sockets": n,
            "failed": len(errors),
            "retries": self.retries,
            "seconds": round(took, 3),
            "per_s": round((n - len(errors)) / took, 1),
            "in_flight": concurrency,
        }

    # Receiving ----------------------------------------------------------------------------

    def parse(self, raw: bytes) -> tuple[str, Any] | None:
        try:
            frame = json.loads(raw)
            data = frame["data"]
            if frame["event"] == "ATTENDANCE_MARKED":
                return "mark", (str(data["studentId"]), str(data["status"]))
            if frame["event"] == "DONE":
                return "done", int(data["total"])
        except (ValueError, TypeError, KeyError):
            pass
        return None

    def deliver(self, idx: int, raw: bytes, now: float) -> None:
        """Match a frame received by socket idx to the mark its class should show next."""
        try:
            parsed = self.parsed[raw]
        except KeyError:
            parsed = self.parsed[raw] = self.parse(raw)
        klass = self.owner[idx]
        if parsed is None:
            self.unexpected[idx] += 1
            self.note(f"socket {idx}: unexpected frame {raw[:200]!r}")
            return
        kind, value = parsed
        if kind == "done":
            self.done_frames[klass] += 1
            self.done_totals[klass].add(value)
            self.progress.set()
            return
        keys = self.keys[klass]
        nxt = self.next_mark[idx]
        if nxt < len(keys) and keys[nxt] == value:
            n = nxt
        else:
            span = 2 * len(self.classes[klass]["student_ids"])
            n = next((s for s in range(nxt + 1, min(len(keys), nxt + span - 1)) if keys[s] == value), -1)
            if n < 0:
                self.unexpected[idx] += 1
                self.note(f"socket {idx}: frame {value} matches no pending mark of its class")
                return
            self.missing[idx] += n - nxt
            self.note(f"socket {idx}: marks {nxt}..{n - 1} of class {klass} missing or out of order")
        self.next_mark[idx] = n + 1
        left = self.remaining[klass][n] - 1
        self.remaining[klass][n] = left
        if left == 0:
            self.done_at[klass][n] = now
            self.progress.set()

    async def reader(self, idx: int, ws: ClientConnection) -> None:
        try:
            while True:
                self.deliver(idx, await ws.recv(decode=False), time.perf_counter())
        except ConnectionClosed as exc:
            self.socket_closed(idx, str(exc))

    def socket_closed(self, idx: int, reason: str) -> None:
        if not self.shutting_down:
            self.closed += 1
            self.note(f"socket {idx}: closed mid-run: {reason}")

    # Marking ------------------------------------------------------------------------------

    async def teacher_marks(self, klass: int, rate: float, seconds: float, start: float) -> None:
        ws = self.teachers[klass]
        if ws is None:
            return
        count = int(rate * seconds)
        for n in range(count):
            delay = start + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            student_id, status = self.mark(klass, n)
            # Book the mark before sending: the echo can come back before send() returns.
            self.keys[klass].append((student_id, status))
            self.remaining[klass].append(self.sockets_of[klass])
            self.done_at[klass].append(math.nan)
            self.sent_at[klass].append(time.perf_counter())
            await ws.send(
                json.dumps({"event": "ATTENDANCE_MARKED", "data": {"studentId": student_id, "status": status}})
            )

    async def settle(self, finished) -> bool:
        """Wait until finished() holds, giving up when nothing progresses for a whole timeout."""
        while not finished():
            self.progress.clear()
            try:
                await asyncio.wait_for(self.progress.wait(), self.timeout)
            except TimeoutError:
                return finished()
        return True

    async def run_marks(self, rate: float, seconds: float) -> dict[str, Any]:
        begin = time.perf_counter() + 0.05
        count = len(self.classes)
        await asyncio.gather(*(self.teacher_marks(c, rate, seconds, begin + (c / count) / rate) for c in range(count)))
        complete = await self.settle(lambda: all(r == 0 for per in self.remaining for r in per))
        latencies = [
            done - sent
            for sent_list, done_list in zip(self.sent_at, self.done_at, strict=True)
            for sent, done in zip(sent_list, done_list, strict=True)
            if not math.isnan(done)
        ]
        sent = sum(len(k) for k in self.keys)
        first = min((s[0] for s in self.sent_at if s), default=begin)
        # When the slowest 1 % were sent, by second of the marking: a tail that clusters (at the
        # start, say) has another cause than one spread evenly.
        timed = sorted(
            (
                (done - at, at - first)
                for sent_list, done_list in zip(self.sent_at, self.done_at, strict=True)
                for at, done in zip(sent_list, done_list, strict=True)
                if not math.isnan(done)
            ),
            reverse=True,
        )
        slowest_at: dict[int, int] = {}
        for _, offset in timed[: max(1, len(timed) // 100)] if timed else []:
            slowest_at[int(offset)] = slowest_at.get(int(offset), 0) + 1
        last = max((d for per in self.done_at for d in per if not math.isnan(d)), default=first)
        return {
            "marks_sent": sent,
            "marks_complete": len(latencies),
            "complete": complete,
            "marks_per_s": round(len(latencies) / (last - first), 1) if last > first else None,
            "deliveries_missing": sum(r for per in self.remaining for r in per),
            "slowest_1pct_sent_at_s": dict(sorted(slowest_at.items())),
            **latency_stats(latencies),
        }

    async def run_done(self) -> dict[str, Any]:
        for ws in self.teachers:
            if ws is not None:
                await ws.send(json.dumps({"event": "DONE"}))
        complete = await self.settle(
            lambda: all(d >= n for d, n in zip(self.done_frames, self.sockets_of, strict=True))
        )
        expected = [len(c["student_ids"]) for c in self.classes]
        right = sum(1 for totals, n in zip(self.done_totals, expected, strict=True) if totals == {n})
        return {"classes": len(self.classes), "complete": complete, "classes_with_right_total": right}

    async def close_all(self) -> None:
        self.shutting_down = True
        for proto in self.raw:
            proto.close()
        for ws in self.teachers:
            if ws is not None:
                await ws.close()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


def fake_classes(classes: int, students: int) -> list[dict[str, Any]]:
    """Tokens and ids for bench/school_reference.py: `teacher:<c>`, `student:<c>:<i>`, ids `<c>:<i>`."""
    return [
        {
            "class_id": str(c),
            "teacher_token": f"teacher:{c}",
            "student_tokens": [f"student:{c}:{i}" for i in range(students)],
            "student_ids": [f"{c}:{i}" for i in range(students)],
        }
        for c in range(classes)
    ]


async def run_school(
    urls: list[str],
    classes: list[dict[str, Any]],
    *,
    rate: float,
    seconds: float,
    concurrency: int,
    timeout: float,
    connect_only: bool = False,
) -> dict[str, Any]:
    """The whole run: connect storm, marking, DONE; the figures as a dict."""
    raise_fd_limit()
    result: dict[str, Any] = {"classes": len(classes), "students_per_class": len(classes[0]["student_ids"])}
    # The storm: every socket at once, each tried once; what it opened is closed again.
    storm = SchoolRun(classes, urls, timeout)
    try:
        result["connect"] = await storm.open_all(concurrency, retries=1)
    finally:
        await storm.close_all()
    if connect_only:  # a server that only accepts (bench/handshake_floor.py): the storm is all there is
        result["ok"] = not result["connect"]["failed"]
        return result
    await asyncio.sleep(2)  # let the server see the storm's sockets go
    # The lesson: every socket open (OPEN_IN_FLIGHT at a time, retried as the pages do), then marking.
    run = SchoolRun(classes, urls, timeout)
    try:
        result["open"] = await run.open_all(OPEN_IN_FLIGHT)
        if not result["open"]["failed"]:  # else the figures below would be of a part of the school
            result["marks"] = await run.run_marks(rate, seconds)
            result["done"] = await run.run_done()
    finally:
        await run.close_all()
    result["loss"] = {
        "missing": sum(run.missing),
        "unexpected": sum(run.unexpected),
        "closed_mid_run": run.closed,
        "samples": run.samples[:5],
    }
    result["ok"] = bool(
        not result["connect"]["failed"]
        and result.get("marks", {}).get("complete")
        and result.get("done", {}).get("complete")
        and not sum(run.missing)
        and not sum(run.unexpected)
        and not run.closed
    )
    return result


def school_arguments(parser: argparse.ArgumentParser, *, url_help: str, students: int) -> None:
    """The options naming the workers and the classes, shared by the school's load clients."""
    parser.add_argument("--url", action="append", required=True, help=url_help)
    parser.add_argument("--setup-file", help="JSON from loadtest_seed --classes")
    parser.add_argument("--fake-classes", type=int, default=0)
    parser.add_argument("--students", type=int, default=students)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    school_arguments(parser, url_help="a worker's ws:// URL (repeat for several)", students=30)
    parser.add_argument("--rate", type=float, default=4.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--connect-concurrency", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=15.0)
    parser.add_argument("--connect-only", action="store_true", help="the connect storm only, then exit")
    args = parser.parse_args()
    if args.setup_file:
        with open(args.setup_file) as handle:
            seeded = json.load(handle)["classes"]
        classes = [
            {
                "class_id": c["classId"],
                "teacher_token": c["teacher"]["token"],
                "student_tokens": [s["token"] for s in c["students"]],
                "student_ids": [s["id"] for s in c["students"]],
            }
            for c in seeded
        ]
    else:
        classes = fake_classes(args.fake_classes, args.students)
    result = asyncio.run(
        run_school(
            args.url,
            classes,
            rate=args.rate,
            seconds=args.seconds,
            concurrency=args.connect_concurrency,
            timeout=args.timeout,
            connect_only=args.connect_only,
        )
    )
    report(result)


def report(result: dict[str, Any]) -> NoReturn:
    """Print a load client's figures as JSON and exit 1 unless the run was ok."""
    print(json.dumps(result))
    sys.exit(0 if result["ok"] else 1)


if __name__ == "__main__":
    main()
