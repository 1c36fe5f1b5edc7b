"""Run every benchmark and write docs/benchmarks.md (and the raw figures to docs/benchmarks.json).

Usage:
    python -m bench.run                      # what `make bench` runs: 3 repetitions, ~10 minutes
    python -m bench.run --reps 1 --quick     # a smoke run: fewer marks, no file written unless --out
    python -m bench.run --only fanout http   # some sections only (fanout, connections, done, http,
                                             # servers, argon2); writes nothing unless --out
    python -m bench.run --render docs/benchmarks.json   # rewrite docs/benchmarks.md from saved results

Each server (the project under Daphne or Uvicorn, and bench/reference_server.py) and each load
client runs as its own process on this machine; this process only starts them, collects their
JSON and takes medians over the repetitions. See bench/servers.py for the server configuration.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import importlib.util
import json
import math
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.servers import ROOT, ProjectServer, ReferenceServer
from harness.redis_server import RedisServer

SECTIONS = ("fanout", "connections", "done", "http", "servers", "argon2")
SIZES = (30, 200, 1000)
# Per class size: marks in the latency phase (one at a time) and the throughput phase.
LATENCY_MARKS = {30: 200, 200: 200, 1000: 100}
THROUGHPUT_MARKS = {30: 3000, 200: 1500, 1000: 600}
QUICK_SCALE = 0.25
# A phase stops sending after this long, so a slow server costs time, not the whole budget.
PHASE_SECONDS = 10.0
HTTP_SECONDS = 6.0
WINDOW = 32
CONNECTIONS = 2000
DONE_STUDENTS = 1000
HTTP_STUDENTS = 200
LOGIN_PASSWORD = "bench-password-1"
NOTES = Path(__file__).resolve().parent / "notes.md"
# One private Redis for the whole run (see harness/redis_server.py for why not the shared one).
REDIS = RedisServer()
TARGETS = {"p99_200_ms": 50.0, "p99_1000_ms": 250.0, "ratio_min": 1 / 3, "connections": 2000}


def log(text: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def median(values: list[Any]) -> float | None:
    """Median of the numeric, non-NaN values, or None when there are none."""
    nums = [float(v) for v in values if isinstance(v, int | float) and not math.isnan(v)]
    return statistics.median(nums) if nums else None


def run_json(args: list[str], timeout: float = 600) -> dict[str, Any]:
    """Run a bench client module in its own process and return the JSON it prints."""
    proc = subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )
    try:
        return json.loads(proc.stdout)
    except ValueError as exc:
        raise RuntimeError(f"{args[0]} printed no JSON (exit {proc.returncode}):\n{proc.stderr[-3000:]}") from exc


def setup_file(seed: dict[str, Any], directory: Path) -> str:
    """Write a loadtest_seed result in the format bench.fanout --setup-file reads."""
    path = directory / f"class-{seed['classId']}.json"
    path.write_text(
        json.dumps(
            {
                "class_id": seed["classId"],
                "teacher_token": seed["teacher"]["token"],
                "student_tokens": [s["token"] for s in seed["students"]],
                "student_ids": [s["id"] for s in seed["students"]],
            }
        )
    )
    return str(path)


def fanout_client(url: str, source: list[str], size: int, scale: float) -> dict[str, Any]:
    """One fan-out run (warm-up, latency phase, throughput phase) from a separate process."""
    return run_json(
        [
            "bench.fanout",
            "--url",
            url,
            *source,
            "--latency-marks",
            str(max(20, int(LATENCY_MARKS[size] * scale))),
            "--throughput-marks",
            str(max(100, int(THROUGHPUT_MARKS[size] * scale))),
            "--window",
            str(WINDOW),
            "--timeout",
            "20",
            "--max-seconds",
            str(PHASE_SECONDS * scale),
        ]
    )


def fanout_summary(res: dict[str, Any]) -> dict[str, Any]:
    """The figures we keep from one fan-out run."""
    lat, thr, loss = res.get("latency", {}), res.get("throughput", {}), res.get("loss", {})
    ok = bool(loss.get("ok"))
    return {
        "ok": ok,
        "p50_ms": lat.get("p50_ms"),
        "p99_ms": lat.get("p99_ms"),
        "max_ms": lat.get("max_ms"),
        "marks_per_s": thr.get("marks_per_s") if ok else None,
        "deliveries_per_s": thr.get("deliveries_per_s") if ok else None,
        "thr_p99_ms": thr.get("p99_ms"),
        "missing": loss.get("missing"),
        "samples": loss.get("samples", [])[:3],
    }


def fanout_server(
    server: ProjectServer, size: int, scale: float, tmp: Path, runs: dict[str, list[dict[str, Any]]], key: str
) -> None:
    """Seed a fresh class of `size` on the project server and run the fan-out client against it."""
    source = ["--setup-file", setup_file(server.seed(size), tmp)]
    summary = fanout_summary(fanout_client(server.ws, source, size, scale))
    runs.setdefault(key, []).append(summary)
    log(f"  {key}: {short(summary)}")


def short(s: dict[str, Any]) -> str:
    return f"p50 {s['p50_ms']} p99 {s['p99_ms']} max {s['max_ms']} ms, {s['marks_per_s']} marks/s, ok={s['ok']}" + (
        "" if s["ok"] else f" {s['samples']}"
    )


def bench_fanout(reps: int, sizes: tuple[int, ...], scale: float, tmp: Path) -> dict[str, Any]:
    """Project (Daphne) and reference server, every class size, interleaved repetitions."""
    runs: dict[str, list[dict[str, Any]]] = {}
    with ProjectServer("daphne", REDIS.url, tmp) as server, ReferenceServer() as ref:
        for rep in range(reps):
            for size in sizes:
                log(f"fan-out rep {rep + 1}/{reps}, {size} students")
                fanout_server(server, size, scale, tmp, runs, f"project/{size}")
                fake = ["--fake-students", str(size)]
                summary = fanout_summary(fanout_client(ref.ws, fake, size, scale))
                runs.setdefault(f"reference/{size}", []).append(summary)
                log(f"  reference/{size}: {short(summary)}")
    return {"runs": runs, "medians": {key: medians(vals) for key, vals in runs.items()}}


def medians(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median of every figure over repetitions; zero loss only if every repetition had none."""
    keys = ("p50_ms", "p99_ms", "max_ms", "marks_per_s", "deliveries_per_s", "thr_p99_ms")
    out: dict[str, Any] = {k: median([r[k] for r in runs]) for k in keys}
    out["ok"] = all(r["ok"] for r in runs)
    out["reps"] = len(runs)
    return out


def bench_connections(reps: int, tmp: Path, sockets: int) -> dict[str, Any]:
    """How many authenticated sockets one worker holds, and its memory per idle socket."""
    results = []
    for rep in range(min(reps, 2)):
        with ProjectServer("daphne", REDIS.url, tmp) as server:
            setup = setup_file(server.seed(sockets - 1), tmp)  # + the teacher
            log(f"connections rep {rep + 1}: {sockets} sockets")
            res = run_json(
                [
                    "bench.probes",
                    "connections",
                    "--url",
                    server.ws,
                    "--setup-file",
                    setup,
                    "--server-pid",
                    str(server.pid),
                ]
            )
            results.append(res)
            log(
                f"  {res['sockets']} sockets, live={res['all_live']}, {res['kib_per_socket']} KiB/socket, "
                f"broadcast p50 {res['broadcast'].get('p50_ms')} ms"
            )
    return {
        "runs": [{k: v for k, v in r.items() if k != "loss"} | {"loss_ok": r["loss"]["ok"]} for r in results],
        "sockets": min(r["sockets"] for r in results),
        "all_live": all(r["all_live"] for r in results),
        "kib_per_socket": median([r["kib_per_socket"] for r in results]),
        "connects_per_s": median([r["connects_per_s"] for r in results]),
        "broadcast_ms": median([r["broadcast"].get("p50_ms") for r in results]),
        "rss_after_mib": median([r["rss_after_kib"] / 1024 for r in results]),
    }


def bench_done(reps: int, tmp: Path) -> dict[str, Any]:
    """Teacher's DONE to the DONE frame, with DONE_STUDENTS enrolled and none marked."""
    results = []
    with ProjectServer("daphne", REDIS.url, tmp) as server:
        for _ in range(reps):
            setup = setup_file(server.seed(DONE_STUDENTS), tmp)
            res = run_json(["bench.probes", "done", "--url", server.ws, "--setup-file", setup])
            results.append(res)
            log(f"done: {res['done_ms']} ms ok={res['ok']}")
    return {
        "runs": [r["done_ms"] for r in results],
        "ok": all(r["ok"] for r in results),
        "done_ms": median([r["done_ms"] for r in results]),
    }


def signup(base: str, email: str) -> None:
    """Create one account with a real (Argon2) password through the API."""
    import urllib.request

    body = json.dumps({"name": "Bench login", "email": email, "password": LOGIN_PASSWORD, "role": "teacher"}).encode()
    req = urllib.request.Request(
        base + "/auth/signup", data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        assert resp.status == 201, resp.status


def peak_reset(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM")


def http_loads(server: ProjectServer, scale: float) -> dict[str, Any]:
    """Login (real Argon2), GET /class/:id and GET /students with HTTP_STUDENTS students."""
    seed = server.seed(HTTP_STUDENTS, session=False)
    email = f"bench-login-{server.port}@example.com"
    signup(server.http, email)
    teacher = seed["teacher"]["token"]
    loads = {
        "POST /auth/login": (
            [
                "--method",
                "POST",
                "--path",
                "/auth/login",
                "--body",
                json.dumps({"email": email, "password": LOGIN_PASSWORD}),
                "--requests",
                str(max(40, int(200 * scale))),
                "--concurrency",
                "8",
                "--warmup",
                "1",
            ]
        ),
        "GET /class/:id": (
            [
                "--path",
                f"/class/{seed['classId']}",
                "--token",
                teacher,
                "--requests",
                str(max(200, int(2000 * scale))),
                "--concurrency",
                "16",
            ]
        ),
        "GET /students": (
            [
                "--path",
                "/students",
                "--token",
                teacher,
                "--requests",
                str(max(200, int(1500 * scale))),
                "--concurrency",
                "16",
            ]
        ),
    }
    out = {}
    for name, args in loads.items():
        args = [*args, "--max-seconds", str(HTTP_SECONDS * scale)]
        rss = server.rss_kib()
        peak_reset(server.pid)
        res = run_json(["bench.httpload", "--base", server.http, *args])
        res["server_peak_extra_mib"] = round((peak_kib(server.pid) - rss) / 1024, 1)
        out[name] = res
        log(f"  {server.kind} {name}: {res['requests_per_s']} req/s, p99 {res['p99_ms']} ms, errors {res['errors']}")
    return out


def bench_http(reps: int, scale: float, tmp: Path, kinds: tuple[str, ...]) -> dict[str, Any]:
    """The HTTP loads on each server kind, a fresh server per repetition."""
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for rep in range(reps):
        for kind in kinds:
            log(f"http rep {rep + 1}/{reps} on {kind}")
            with ProjectServer(kind, REDIS.url, tmp) as server:
                for name, res in http_loads(server, scale).items():
                    runs.setdefault(kind, {}).setdefault(name, []).append(res)
    med = {
        kind: {
            name: {
                "requests_per_s": median([r["requests_per_s"] for r in rs]),
                "p50_ms": median([r["p50_ms"] for r in rs]),
                "p99_ms": median([r["p99_ms"] for r in rs]),
                "errors": sum(r["errors"] for r in rs),
                "server_peak_extra_mib": median([r["server_peak_extra_mib"] for r in rs]),
                "concurrency": rs[0]["concurrency"],
            }
            for name, rs in by_name.items()
        }
        for kind, by_name in runs.items()
    }
    return {"medians": med}


def bench_servers(reps: int, scale: float, tmp: Path, kinds: tuple[str, ...], size: int = 200) -> dict[str, Any]:
    """WebSocket fan-out at `size` on each server kind other than Daphne (measured in bench_fanout)."""
    runs: dict[str, list[dict[str, Any]]] = {}
    for kind in kinds:
        with ProjectServer(kind, REDIS.url, tmp) as server:
            for rep in range(reps):
                log(f"fan-out on {kind}, rep {rep + 1}/{reps}, {size} students")
                fanout_server(server, size, scale, tmp, runs, f"{kind}/{size}")
    return {"runs": runs, "medians": {key: medians(vals) for key, vals in runs.items()}}


def bench_argon2() -> dict[str, Any]:
    """Per-hash time and the peak memory of a burst of 10 concurrent hashes, both parameter sets."""
    out = {}
    for name in ("tuned", "django"):
        out[name] = run_json(["bench.argon2cost", "--hasher", name, "--burst", "10", "--singles", "5"])
        log(
            f"argon2 {name}: {out[name]['hash_ms_median']} ms/hash, burst peak +{out[name]['burst_peak_extra_mib']} MiB"
        )
    return out


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kib = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal:")
    )
    versions = {}
    for pkg in (
        "Django",
        "channels",
        "channels-redis",
        "daphne",
        "Twisted",
        "autobahn",
        "uvicorn",
        "websockets",
        "redis",
        "argon2-cffi",
        "uvloop",
        "httptools",
    ):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions[pkg] = importlib.metadata.version(pkg)
    versions["Redis server"] = REDIS.version()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "versions": versions,
        "date": time.strftime("%Y-%m-%d"),
        "load_start": loadavg(),
    }


def loadavg() -> float:
    """The 1-minute load average: how busy the machine was besides this run."""
    return float(Path("/proc/loadavg").read_text().split()[0])


def server_kinds() -> tuple[str, ...]:
    """Daphne, Uvicorn, and Uvicorn with uvloop/httptools when they are installed."""
    kinds = ["daphne", "uvicorn"]
    if importlib.util.find_spec("uvloop") and importlib.util.find_spec("httptools"):
        kinds.append("uvicorn-uvloop")
    return tuple(kinds)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--quick", action="store_true", help="a quarter of the marks and requests")
    p.add_argument("--only", nargs="+", choices=SECTIONS, help="run these sections only")
    p.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), choices=SIZES)
    p.add_argument("--out", help="Markdown file to write (default docs/benchmarks.md for a full run)")
    p.add_argument("--json", help="raw results file (default: next to --out, .json)")
    p.add_argument("--render", metavar="JSON", help="only re-render a results file (with bench/notes.md) to --out")
    args = p.parse_args(argv)
    if args.render:
        from bench.report import render

        text = render(json.loads(Path(args.render).read_text()), NOTES.read_text() if NOTES.exists() else "")
        Path(args.out or ROOT / "docs" / "benchmarks.md").write_text(text)
        return 0
    full = not args.quick and not args.only and args.sizes == list(SIZES)
    out = Path(args.out) if args.out else (ROOT / "docs" / "benchmarks.md" if full else None)
    sections = args.only or SECTIONS
    scale = QUICK_SCALE if args.quick else 1.0
    t0 = time.monotonic()
    # SIGTERM ends the run through the finally blocks, so that no server or Redis is left behind.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    REDIS.start()
    try:
        results = run_sections(args, sections, scale)
    finally:
        REDIS.stop()
    results["elapsed_s"] = round(time.monotonic() - t0, 1)
    results["load_end"] = loadavg()
    log(f"finished in {results['elapsed_s']:.0f}s")
    from bench.report import render

    text = render(results, NOTES.read_text() if NOTES.exists() else "")
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
        Path(args.json or out.with_suffix(".json")).write_text(json.dumps(results, indent=1) + "\n")
        log(f"wrote {out}")
    else:
        print(text)
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
    return 0


def run_sections(args: argparse.Namespace, sections: tuple[str, ...], scale: float) -> dict[str, Any]:
    """Run the chosen sections in order and collect their results."""
    results: dict[str, Any] = {"machine": machine(), "reps": args.reps, "quick": args.quick}
    kinds = server_kinds()
    with tempfile.TemporaryDirectory(prefix="bench-") as tmpdir:
        tmp = Path(tmpdir)
        if "fanout" in sections:
            results["fanout"] = bench_fanout(args.reps, tuple(args.sizes), scale, tmp)
        if "connections" in sections:
            results["connections"] = bench_connections(args.reps, tmp, CONNECTIONS)
        if "done" in sections:
            results["done"] = bench_done(args.reps, tmp)
        if "http" in sections:
            results["http"] = bench_http(args.reps, scale, tmp, kinds)
        if "servers" in sections:
            results["servers"] = bench_servers(args.reps, scale, tmp, kinds[1:])
        if "argon2" in sections:
            results["argon2"] = bench_argon2()
    return results


if __name__ == "__main__":
    sys.exit(main())
