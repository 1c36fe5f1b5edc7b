"""The school benchmark: many classes marking at once, the project against an in-memory reference.

Usage:
    python -m bench.school_run                     # what `make bench-school` runs; writes docs/school-benchmark.md
    python -m bench.school_run --steps 20x30 --seconds 10 --no-postgres --out -   # a quicker look, printed

For each step (classes x students; 20 x 30 and 50 x 40 by default) and each server, in one run
on this machine: the reference (bench/school_reference.py: one asyncio process, no database),
the project on one worker with SQLite, and the project on two workers with PostgreSQL (skipped
with a note when no server answers at POSTGRES_URL). The project runs as production does
(harness.server.ServerProcess: attendance_project.serve, DEBUG off, the Redis channel layer of
a private redis-server, the production rate limits). The load client (bench/school.py) is a
process of its own: connect storm with 200 handshakes in flight, then every teacher marking at
4 marks/s, then DONE. Ratios are the project's figure over the reference's from the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

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


def client(urls: list[str], extra: list[str], args: argparse.Namespace) -> dict[str, Any]:
    """Run bench/school.py in its own process and return its JSON."""
    command = [sys.executable, "-m", "bench.school", *(f"--url={url}" for url in urls), *extra]
    command += ["--rate", str(args.rate), "--seconds", str(args.seconds), "--connect-concurrency", str(args.in_flight)]
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)
    try:
        return json.loads(proc.stdout)
    except ValueError as exc:
        raise RuntimeError(f"bench.school printed no JSON (exit {proc.returncode}):\n{proc.stderr[-3000:]}") from exc


def reference(classes: int, students: int, args: argparse.Namespace) -> dict[str, Any]:
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
        url = f"ws://127.0.0.1:{int(line.split()[-1])}/ws"
        return client([url], ["--fake-classes", str(classes), "--students", str(students)], args)
    finally:
        proc.kill()
        proc.wait()


def project(
    classes: int, students: int, args: argparse.Namespace, redis: RedisServer, *, workers: int, database_url: str = ""
) -> dict[str, Any]:
    """Seed the classes, start `workers` workers on one database and Redis, run the client."""
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
        result = client([server.ws for server in servers], ["--setup-file", str(setup)], args)
        result["rss_mib"] = [round(server.rss_kib() / 1024, 1) for server in servers]
        return result
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(directory, ignore_errors=True)


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
        "marks_per_s": marks.get("marks_per_s"),
        "marks": f"{marks.get('marks_complete')}/{marks.get('marks_sent')}",
        "missing": loss.get("missing"),
        "unexpected": loss.get("unexpected"),
        "closed": loss.get("closed_mid_run"),
        "done": f"{done.get('classes_with_right_total')}/{done.get('classes')}",
        "rss_mib": result.get("rss_mib"),
        "samples": loss.get("samples"),
    }


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
        for step in args.steps:
            classes, students = (int(x) for x in step.split("x"))
            rows: dict[str, Any] = {}
            log(f"{step}: reference")
            rows["reference"] = figures(reference(classes, students, args))
            log(f"  {rows['reference']}")
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
    results["load_after"] = os.getloadavg()
    return results


def ratio(value: Any, base: Any) -> float | None:
    if isinstance(value, int | float) and isinstance(base, int | float) and base:
        return round(value / base, 2)
    return None


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


def render(results: dict[str, Any]) -> str:
    names = {
        "reference": "reference (in memory, 1 process)",
        "sqlite-1": "project, 1 worker, SQLite",
        "postgres-2": "project, 2 workers, PostgreSQL",
    }
    lines = [
        "# School benchmark",
        "",
        "Written by `make bench-school` (`python -m bench.school_run`); raw figures in",
        "[school-benchmark.json](school-benchmark.json). What it does and how to read it: the README's",
        "[Performance](../README.md#performance) section and the module docstrings of `bench/school*.py`.",
        "",
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
                lines.append(f"| {names[key]} | skipped: {row['skipped']} |||||||||| ")
                continue
            p99_ratio = ratio(row["p99_ms"], ref.get("p99_ms")) if key != "reference" else None
            connect_ratio = ratio(row["connect_per_s"], ref.get("connect_per_s")) if key != "reference" else None
            lines.append(
                f"| {names[key]} | {row['connect_per_s']}, {row['connect_failed']} | "
                f"{row['p50_ms']} | {row['p99_ms']} | {row['max_ms']} | "
                f"{row['marks_per_s']} | {row['marks']} | {row['missing']}, {row['unexpected']}, {row['closed']} | "
                f"{row['done']} | {p99_ratio if p99_ratio is not None else '–'} | "
                f"{connect_ratio if connect_ratio is not None else '–'} |"
            )
            if key != "reference":
                verdicts.append(
                    f"- {step}, {names[key]}: mark p99 {p99_ratio}x the reference "
                    f"({'met' if p99_ratio is not None and p99_ratio <= TARGET_P99_RATIO else 'NOT met'}, target "
                    f"<= {TARGET_P99_RATIO:g}x); connect rate {connect_ratio}x "
                    f"({'met' if connect_ratio is not None and connect_ratio >= TARGET_CONNECT_RATIO else 'NOT met'}, "
                    f"target >= {TARGET_CONNECT_RATIO:g}x); "
                    f"{lost_verdict(row)}"
                )
        lines.append("")
    lines += ["## Targets (issue 12), as measured in this run", "", *verdicts, "", NOTES]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", nargs="+", default=["20x30", "50x40"], help="classes x students, e.g. 20x30")
    parser.add_argument("--rate", type=float, default=4.0, help="marks per second per teacher")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long the teachers mark")
    parser.add_argument("--in-flight", type=int, default=200, help="handshakes in flight while connecting")
    parser.add_argument("--no-postgres", dest="postgres", action="store_false")
    parser.add_argument("--out", default=str(DOCS / "school-benchmark.md"), help="Markdown report, or - to print")
    parser.add_argument("--render", help="rewrite the report from a saved JSON instead of running")
    args = parser.parse_args()
    results = json.loads(Path(args.render).read_text()) if args.render else run(args)
    report = render(results)
    if args.out == "-":
        print(report)
        return
    out = Path(args.out)
    out.write_text(report)
    if not args.render:
        out.with_suffix(".json").write_text(json.dumps(results, indent=1) + "\n")
    log(f"wrote {out}")


if __name__ == "__main__":
    main()
