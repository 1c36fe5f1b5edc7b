"""The school benchmark: many classes marking at once, the project against an in-memory reference.

Usage:
    python -m bench.school_run                     # what `make bench-school` runs; writes docs/school-benchmark.md
    python -m bench.school_run --steps 20x30 --seconds 10 --no-postgres --out -   # a quicker look, printed
    python -m bench.school_run --only reconnect    # the reconnect storm alone, merged into the saved figures

For each step (classes x students; 20 x 30 and 50 x 40 by default) and each server, in one run
on this machine: the reference (bench/school_reference.py: one asyncio process, no database),
the project on one worker with SQLite, and the project on two workers with PostgreSQL (skipped
with a note when no server answers at POSTGRES_URL). The project runs as production does
(harness.server.ServerProcess: attendance_project.serve, DEBUG off, the Redis channel layer of
a private redis-server, the production rate limits). The load client (bench/school.py) is a
process of its own: connect storm with 200 handshakes in flight, then every teacher marking at
4 marks/s, then DONE. Ratios are the project's figure over the reference's from the same run.

Then the reconnect storm (--storm 40x49: 2,000 sockets, 1,000 on each of two workers; load client
bench/school_storm.py): the project on two workers (PostgreSQL, or SQLite without it) and the
reference on two ports of one process; teachers mark at --storm-rate marks/s while the first
worker is killed, and every page it held reconnects to the other and resyncs with CATCH_UP.
`--only steps` or `--only reconnect` runs one part and keeps the saved figures of the other.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.handshake_floor import start_floor
from harness.processes import free_port, stop_process
from harness.redis_server import RedisServer, flush_redis
from harness.server import ROOT, ServerProcess

POSTGRES_URL = os.environ.get("POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DOCS = ROOT / "docs"
TARGET_P99_RATIO = 2.0
TARGET_CONNECT_RATIO = 0.5


NOTES = """## Reading it

Every figure of a run comes from the same machine at the same time, so the ratios hold what the
absolute figures cannot when the machine is busy; the load averages above say how busy. What
stands in the way of the targets, and what was measured about it, is in the README's
[Performance](../README.md#the-school-at-900-make-bench-school) section.
"""


def log(text: str) -> None:
    print(f"[school {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def load_client(module: str, urls: list[str], extra: list[str]) -> dict[str, Any]:
    """Run a load client (bench/school.py, bench/school_storm.py) in its own process and return its JSON."""
    command = [sys.executable, "-m", module, *(f"--url={url}" for url in urls), *extra]
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)
    try:
        return json.loads(proc.stdout)
    except ValueError as exc:
        raise RuntimeError(f"{module} printed no JSON (exit {proc.returncode}):\n{proc.stderr[-3000:]}") from exc


def client(urls: list[str], extra: list[str], args: argparse.Namespace) -> dict[str, Any]:
    """Run bench/school.py in its own process and return its JSON."""
    extra = [*extra, "--rate", str(args.rate), "--seconds", str(args.seconds)]
    return load_client("bench.school", urls, [*extra, "--connect-concurrency", str(args.in_flight)])


@contextlib.contextmanager
def reference_server(classes: int, students: int, workers: int = 1) -> Iterator[tuple[int, list[int]]]:
    """Run bench/school_reference.py; yield its pid and ports (one per worker)."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.school_reference",
            "--port",
            "0",
            "--classes",
            str(classes),
            "--students",
            str(students),
            "--workers",
            str(workers),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        if not line.startswith("listening on "):
            raise RuntimeError(f"reference server did not start: {line!r}")
        yield proc.pid, [int(port) for port in line.split()[2:]]
    finally:
        proc.kill()
        proc.wait()


# What Daphne accepts with no work of the project's at all: the connect rate's ceiling on this stack.
FLOORS = {
    "floor-asgi": "bench.handshake_floor:bare_application",
    "floor-channels": "bench.handshake_floor:application",
}


def connect_floor(application: str, classes: int, students: int, args: argparse.Namespace) -> dict[str, Any]:
    """The connect storm alone against Daphne serving an application that accepts every socket."""
    port = free_port()
    server = start_floor(application, port)
    try:
        extra = ["--fake-classes", str(classes), "--students", str(students), "--connect-only"]
        result = load_client(
            "bench.school", [f"ws://127.0.0.1:{port}/ws"], [*extra, "--connect-concurrency", str(args.in_flight)]
        )
    finally:
        stop_process(server, 10)
    return {
        "ok": result.get("ok"),
        "connect_per_s": result["connect"]["per_s"],
        "connect_failed": result["connect"]["failed"],
    }


def reference(classes: int, students: int, args: argparse.Namespace) -> dict[str, Any]:
    with reference_server(classes, students) as (_, ports):
        url = f"ws://127.0.0.1:{ports[0]}/ws"
        return client([url], ["--fake-classes", str(classes), "--students", str(students)], args)


@contextlib.contextmanager
def project_workers(
    classes: int, students: int, redis: RedisServer, *, workers: int, database_url: str = ""
) -> Iterator[tuple[list[ServerProcess], Path]]:
    """Seed the classes, start `workers` workers on one database and Redis; yield them and the seed's JSON file."""
    directory = Path(tempfile.mkdtemp(prefix="school-"))
    env = {"DATABASE_URL": database_url} if database_url else {}
    servers = [
        ServerProcess(database=directory / "school.sqlite3", redis_url=redis.url, env=env) for _ in range(workers)
    ]
    flush_redis(redis.url)
    servers[0].migrate()
    seeded = servers[0].manage("loadtest_seed", "--classes", str(classes), "--students", str(students))
    setup = directory / "school.json"
    setup.write_text(seeded)
    try:
        for server in servers:
            server.start(timeout=60)
        yield servers, setup
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(directory, ignore_errors=True)


def project(
    classes: int, students: int, args: argparse.Namespace, redis: RedisServer, *, workers: int, database_url: str = ""
) -> dict[str, Any]:
    """Seed the classes, start `workers` workers on one database and Redis, run the client."""
    with project_workers(classes, students, redis, workers=workers, database_url=database_url) as (servers, setup):
        result = client([server.ws for server in servers], ["--setup-file", str(setup)], args)
        result["rss_mib"] = [round(server.rss_kib() / 1024, 1) for server in servers]
        return result


def postgres_database() -> str | None:
    """Create a fresh database on the PostgreSQL server at POSTGRES_URL; None when there is none."""
    import psycopg

    name = f"school_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        log(f"no PostgreSQL at {POSTGRES_URL}: {exc}")
        return None
    return POSTGRES_URL.rsplit("/", 1)[0] + "/" + name


def drop_database(url: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def figures(result: dict[str, Any]) -> dict[str, Any]:
    marks, connect, loss, done = (result.get(k, {}) for k in ("marks", "connect", "loss", "done"))
    return {
        "ok": result.get("ok"),
        "connect_per_s": connect.get("per_s"),
        "connect_failed": connect.get("failed"),
        "open_retries": result.get("open", {}).get("retries"),
        "p50_ms": marks.get("p50_ms"),
        "p99_ms": marks.get("p99_ms"),
        "max_ms": marks.get("max_ms"),
        "slowest_1pct_sent_at_s": marks.get("slowest_1pct_sent_at_s"),
        "marks_per_s": marks.get("marks_per_s"),
        "marks": f"{marks.get('marks_complete')}/{marks.get('marks_sent')}",
        "missing": loss.get("missing"),
        "unexpected": loss.get("unexpected"),
        "closed": loss.get("closed_mid_run"),
        "done": f"{done.get('classes_with_right_total')}/{done.get('classes')}",
        "rss_mib": result.get("rss_mib"),
        "samples": loss.get("samples"),
    }


def storm_figures(result: dict[str, Any]) -> dict[str, Any]:
    handshakes = result.get("handshakes", {})
    return {
        "ok": result.get("ok"),
        "sockets": result.get("sockets"),
        "killed_worker_sockets": result.get("killed_worker_sockets"),
        "reconnected_s": result.get("reconnected_s"),
        "resynced_s": result.get("resynced_s"),
        "not_back": result.get("not_back", 0),
        "handshakes_opened": handshakes.get("opened"),
        "handshakes_failed": handshakes.get("failed"),
        "refused_by_killed": handshakes.get("refused_by_killed"),
        "handshakes_why": handshakes.get("why"),
        "marks": result.get("marks"),
        "wrong_views": result.get("wrong_views"),
        "unexplained_marks": result.get("unexplained_marks"),
        "lost": result.get("lost"),
        "samples": result.get("samples"),
    }


def reconnect_storm(args: argparse.Namespace, redis: RedisServer) -> dict[str, Any]:
    """Kill the first of two workers under the school's sockets, on the reference and on the project."""
    classes, students = (int(x) for x in args.storm.split("x"))
    storm: dict[str, Any] = {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_before": os.getloadavg(),
        "step": args.storm,
        "rate": args.storm_rate,
        "rows": {},
    }
    rows = storm["rows"]
    common = ["--rate", str(args.storm_rate)]
    log(f"reconnect storm {args.storm}: reference, 2 ports of one process")
    with reference_server(classes, students, workers=2) as (pid, ports):
        extra = ["--fake-classes", str(classes), "--students", str(students), "--kill-pid", str(pid)]
        extra += ["--kill-signal", "USR1", "--truth", f"http://127.0.0.1:{ports[1]}/marks", *common]
        rows["reference"] = storm_figures(
            load_client("bench.school_storm", [f"ws://127.0.0.1:{p}/ws" for p in ports], extra)
        )
    log(f"  {rows['reference']}")
    url = postgres_database() if args.postgres else None
    key = "postgres-2" if url else "sqlite-2"
    log(f"reconnect storm {args.storm}: project, {'2 workers, PostgreSQL' if url else '2 workers, SQLite'}")
    try:
        with project_workers(classes, students, redis, workers=2, database_url=url or "") as (servers, setup):
            truth = url or str(servers[0].database)
            extra = ["--setup-file", str(setup), "--kill-pid", str(servers[0].pid), "--truth", truth, *common]
            rows[key] = storm_figures(load_client("bench.school_storm", [server.ws for server in servers], extra))
    finally:
        if url:
            drop_database(url)
    log(f"  {rows[key]}")
    storm["load_after"] = os.getloadavg()
    return storm


def run(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "load_before": os.getloadavg(),
        "rate": args.rate,
        "seconds": args.seconds,
        "in_flight": args.in_flight,
        "steps": {},
    }
    with RedisServer() as redis:
        for step in args.steps if args.only != "reconnect" else []:
            classes, students = (int(x) for x in step.split("x"))
            rows: dict[str, Any] = {}
            log(f"{step}: reference")
            rows["reference"] = figures(reference(classes, students, args))
            log(f"  {rows['reference']}")
            for key, application in FLOORS.items():
                log(f"{step}: {NAMES[key]}")
                rows[key] = connect_floor(application, classes, students, args)
                log(f"  {rows[key]}")
            log(f"{step}: project, 1 worker, SQLite")
            rows["sqlite-1"] = figures(project(classes, students, args, redis, workers=1))
            log(f"  {rows['sqlite-1']}")
            if args.postgres:
                url = postgres_database()
                if url is None:
                    rows["postgres-2"] = {"skipped": f"no PostgreSQL server at {POSTGRES_URL}"}
                else:
                    try:
                        log(f"{step}: project, 2 workers, PostgreSQL")
                        rows["postgres-2"] = figures(
                            project(classes, students, args, redis, workers=2, database_url=url)
                        )
                        log(f"  {rows['postgres-2']}")
                    finally:
                        drop_database(url)
            results["steps"][step] = rows
        if args.only != "steps":
            results["reconnect"] = reconnect_storm(args, redis)
    results["load_after"] = os.getloadavg()
    return results


def merge(saved: dict[str, Any], results: dict[str, Any], only: str) -> dict[str, Any]:
    """A run of one part (`--only`) over the saved figures of the others."""
    if only == "reconnect":
        return {**saved, "reconnect": results["reconnect"]}
    return {**results, **({"reconnect": saved["reconnect"]} if "reconnect" in saved else {})}


def ratio(value: Any, base: Any) -> float | None:
    if isinstance(value, int | float) and isinstance(base, int | float) and base:
        return round(value / base, 2)
    return None


def against_reference(key: str, value: Any, base: Any) -> str:
    """A table cell: a row's figure over the reference's, or a dash (the reference's row, or no figure)."""
    value = ratio(value, base) if key != "reference" else None
    return "–" if value is None else str(value)


def lost_verdict(row: dict[str, Any]) -> str:
    lost = (row["missing"], row["unexpected"], row["closed"])
    text = (
        "nothing lost"
        if lost == (0, 0, 0) and row["marks"].split("/")[0] == row["marks"].split("/")[1]
        else (f"LOSS: missing {lost[0]}, unexpected {lost[1]}, dropped {lost[2]}, {json.dumps(row['samples'])}")
    )
    text += f", DONE right in {row['done']} classes"
    if row["connect_failed"]:
        text += f"; {row['connect_failed']} handshakes of the storm failed (reset or refused)"
    return text


NAMES = {
    "reference": "reference (in memory, 1 process)",
    "sqlite-1": "project, 1 worker, SQLite",
    "sqlite-2": "project, 2 workers, SQLite",
    "postgres-2": "project, 2 workers, PostgreSQL",
    "floor-asgi": "Daphne accepting, nothing else (connect storm only)",
    "floor-channels": "Daphne + a Channels consumer accepting, nothing else (connect storm only)",
}


def render_storm(storm: dict[str, Any]) -> list[str]:
    """The reconnect storm's section of the report."""
    classes, students = storm["step"].split("x")
    lines = [
        f"## Reconnect storm: {classes} classes x {students} students, a worker killed",
        "",
        f"Run {storm['when']}; load average before {', '.join(f'{x:.2f}' for x in storm['load_before'])}, after "
        f"{', '.join(f'{x:.2f}' for x in storm['load_after'])}. Every socket is a page (`harness/school.py`) "
        "dealt to two workers in turn; teachers mark at "
        f"{storm['rate']:g} marks/s each, one at a time; then the first worker is killed (the project's with "
        "SIGKILL; the reference's two ports are one process, and its first port is closed and its connections "
        "cut). Each dropped page waits the pages' backoff (0.5 s doubling to 8 s, jittered) and connects "
        "again, going on at once to the other worker when the killed one refuses (as a proxy retries another "
        "worker), then resyncs with `CATCH_UP`. Seconds from the kill until the last dropped page had a "
        "connection again, and until it had its resync applied; handshakes after the kill that failed on "
        "the surviving worker, and those refused by the killed one (each passed on at once); "
        "lost: connected pages whose view differed from the server's after marking stopped, plus acknowledged "
        "marks the server does not hold.",
        "",
        "| server | sockets (on the killed worker) | all reconnected, s | all resynced, s | failed handshakes "
        "| refused by the killed worker | marks | lost | reconnected / ref | resynced / ref |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    ref = storm["rows"].get("reference", {})
    for key, row in storm["rows"].items():
        marks = ", ".join(f"{count} {outcome}" for outcome, count in sorted((row["marks"] or {}).items()))
        reconnected = row["reconnected_s"] if row["reconnected_s"] is not None else f"never: {row['not_back']} not back"
        resynced = row["resynced_s"] if row["resynced_s"] is not None else "never"
        lines.append(
            f"| {NAMES[key]} | {row['sockets']} ({row['killed_worker_sockets']}) | {reconnected} | "
            f"{resynced} | {row['handshakes_failed']} | {row['refused_by_killed']} | {marks} | "
            f"{row['lost']} | {against_reference(key, row['reconnected_s'], ref.get('reconnected_s'))} | "
            f"{against_reference(key, row['resynced_s'], ref.get('resynced_s'))} |"
        )
    notes = [f"- lost on {NAMES[key]}: {row['samples']}" for key, row in storm["rows"].items() if row["lost"]]
    for key, row in storm["rows"].items():
        why = sorted((row.get("handshakes_why") or {}).items(), key=lambda item: -item[1])
        if why:
            notes.append(f"- failed handshakes on {NAMES[key]}: " + "; ".join(f"{n} × `{text}`" for text, n in why[:4]))
    return [*lines, "", *notes, *([""] if notes else [])]


def render(results: dict[str, Any]) -> str:
    lines = [
        "# School benchmark",
        "",
        "Written by `make bench-school` (`python -m bench.school_run`); raw figures in",
        "[school-benchmark.json](school-benchmark.json). What it does and how to read it: the README's",
        "[Performance](../README.md#performance) section and the module docstrings of `bench/school*.py`.",
        "",
    ]
    if results["steps"]:
        lines += [
            f"Run {results['when']} on {results['machine']}; load average before "
            f"{', '.join(f'{x:.2f}' for x in results['load_before'])}, after "
            f"{', '.join(f'{x:.2f}' for x in results['load_after'])}. Every teacher marks at "
            f"{results['rate']:g} marks/s for {results['seconds']:g} s; connecting with "
            f"{results['in_flight']} handshakes in flight. Latency: from the teacher's send until every "
            "socket of the class (the teacher's own included) has the mark.",
            "",
        ]
    verdicts = []
    for step, rows in results["steps"].items():
        classes, students = step.split("x")
        sockets = int(classes) * (int(students) + 1)
        lines += [
            f"## {classes} classes x {students} students ({sockets} sockets)",
            "",
            "| server | storm: connect/s, failed | mark p50 ms | p99 ms | max ms | marks/s | marks complete "
            "| lost, unexpected, dropped | DONE right | p99 / ref | connect / ref |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        ref = rows.get("reference", {})
        for key, row in rows.items():
            if "skipped" in row:
                lines.append(f"| {NAMES[key]} | skipped: {row['skipped']} |||||||||| ")
                continue
            connect_ratio = ratio(row["connect_per_s"], ref.get("connect_per_s")) if key != "reference" else None
            if key in FLOORS:
                lines.append(
                    f"| {NAMES[key]} | {row['connect_per_s']}, {row['connect_failed']} | "
                    f"{'– | ' * 8}{connect_ratio if connect_ratio is not None else '–'} |"
                )
                continue
            p99_ratio = ratio(row["p99_ms"], ref.get("p99_ms")) if key != "reference" else None
            lines.append(
                f"| {NAMES[key]} | {row['connect_per_s']}, {row['connect_failed']} | "
                f"{row['p50_ms']} | {row['p99_ms']} | {row['max_ms']} | "
                f"{row['marks_per_s']} | {row['marks']} | {row['missing']}, {row['unexpected']}, {row['closed']} | "
                f"{row['done']} | {p99_ratio if p99_ratio is not None else '–'} | "
                f"{connect_ratio if connect_ratio is not None else '–'} |"
            )
            if key != "reference":
                verdicts.append(
                    f"- {step}, {NAMES[key]}: mark p99 {p99_ratio}x the reference "
                    f"({'met' if p99_ratio is not None and p99_ratio <= TARGET_P99_RATIO else 'NOT met'}, target "
                    f"<= {TARGET_P99_RATIO:g}x); connect rate {connect_ratio}x "
                    f"({'met' if connect_ratio is not None and connect_ratio >= TARGET_CONNECT_RATIO else 'NOT met'}, "
                    f"target >= {TARGET_CONNECT_RATIO:g}x); "
                    f"{lost_verdict(row)}"
                )
        ceiling = rows.get("floor-channels", {}).get("connect_per_s")
        if ceiling:
            verdicts.append(
                f"- {step}: the connect rate's ceiling on Daphne and Channels (a consumer that accepts and does "
                f"nothing else) is {ratio(ceiling, ref.get('connect_per_s'))}x the reference; "
                + "; ".join(
                    f"{NAMES[key]} opens {ratio(rows[key]['connect_per_s'], ceiling)}x of it"
                    for key in ("sqlite-1", "postgres-2")
                    if isinstance(rows.get(key, {}).get("connect_per_s"), int | float)
                )
            )
        lines.append("")
    if verdicts:
        lines += ["## Targets (issue 12), as measured in this run", "", *verdicts, ""]
    if "reconnect" in results:
        lines += render_storm(results["reconnect"])
    lines.append(NOTES)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", nargs="+", default=["20x30", "50x40"], help="classes x students, e.g. 20x30")
    parser.add_argument("--rate", type=float, default=4.0, help="marks per second per teacher")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long the teachers mark")
    parser.add_argument("--in-flight", type=int, default=200, help="handshakes in flight while connecting")
    parser.add_argument("--no-postgres", dest="postgres", action="store_false")
    parser.add_argument(
        "--only",
        choices=("steps", "reconnect"),
        help="run one part; the report keeps the other part's saved figures",
    )
    parser.add_argument(
        "--storm", default="40x49", help="the reconnect storm's classes x students (40x49: 2,000 sockets)"
    )
    parser.add_argument("--storm-rate", type=float, default=2.0, help="marks per second per teacher in the storm")
    parser.add_argument("--out", default=str(DOCS / "school-benchmark.md"), help="Markdown report, or - to print")
    parser.add_argument("--render", help="rewrite the report from a saved JSON instead of running")
    args = parser.parse_args()
    saved = Path(args.out).with_suffix(".json")
    if args.render:
        results = json.loads(Path(args.render).read_text())
    else:
        results = run(args)
        if args.only and args.out != "-" and saved.exists():
            results = merge(json.loads(saved.read_text()), results, args.only)
    report = render(results)
    if args.out == "-":
        print(report)
        return
    out = Path(args.out)
    out.write_text(report)
    if not args.render:
        saved.write_text(json.dumps(results, indent=1) + "\n")
    log(f"wrote {out}")


if __name__ == "__main__":
    main()
