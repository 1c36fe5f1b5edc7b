"""Profile the project server with py-spy during a fan-out run and print where its time goes.

Usage:
    python -m bench.profile --students 200 [--server daphne|uvicorn] [--top 25] [--raw out.txt]

Starts the server as bench.run does, seeds a class, runs the fan-out client (a longer
throughput phase than bench.run's) and records the server with ``py-spy record --format raw``
for the whole client run. Prints the functions with the most samples on-CPU *in* them (self)
and *under* them (inclusive), as shares of all samples. py-spy needs ptrace rights over the
server (root, or kernel.yama.ptrace_scope=0).
"""

from __future__ import annotations

import argparse
import collections
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.run import setup_file
from bench.servers import ROOT, ProjectServer
from harness.redis_server import RedisServer


def aggregate(raw: str, top: int) -> dict[str, list[tuple[str, float]]]:
    """Self and inclusive sample shares per function from py-spy's raw (collapsed) output."""
    selfc: collections.Counter[str] = collections.Counter()
    incl: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [_short(f) for f in stack.split(";")]
        selfc[frames[-1]] += n
        for f in set(frames):
            incl[f] += n
    if not total:
        return {"self": [], "inclusive": []}
    return {
        "samples": [("total", float(total))],
        "self": [(f, round(100 * c / total, 1)) for f, c in selfc.most_common(top)],
        "inclusive": [(f, round(100 * c / total, 1)) for f, c in incl.most_common(top)],
    }


def _short(frame: str) -> str:
    """'func (path/to/site-packages/pkg/mod.py:12)' -> 'func (pkg/mod.py)'."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    path = where.rsplit(":", 1)[0]
    for marker in ("site-packages/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    else:
        path = path.replace(str(ROOT) + "/", "")
    return f"{name} ({path})"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--students", type=int, default=200)
    p.add_argument("--server", default="daphne")
    p.add_argument("--latency-marks", type=int, default=100)
    p.add_argument("--throughput-marks", type=int, default=1000)
    p.add_argument("--rate", type=int, default=100, help="py-spy samples per second")
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--raw", help="keep py-spy's raw output here")
    args = p.parse_args(argv)
    pyspy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    with tempfile.TemporaryDirectory(prefix="bench-prof-") as tmpdir:
        tmp = Path(tmpdir)
        with RedisServer() as redis_server, ProjectServer(args.server, redis_server.url, tmp) as server:
            setup = setup_file(server.seed(args.students), tmp)
            raw_path = Path(args.raw) if args.raw else tmp / "profile.txt"
            spy = subprocess.Popen(
                [
                    pyspy,
                    "record",
                    "--pid",
                    str(server.pid),
                    "--format",
                    "raw",
                    "--rate",
                    str(args.rate),
                    "--output",
                    str(raw_path),
                    "--nonblocking",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            time.sleep(1.0)
            client = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bench.fanout",
                    "--url",
                    server.ws,
                    "--setup-file",
                    setup,
                    "--latency-marks",
                    str(args.latency_marks),
                    "--throughput-marks",
                    str(args.throughput_marks),
                ],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=False,
            )
            spy.send_signal(2)  # SIGINT: py-spy writes its output and exits
            spy.wait(30)
            result = json.loads(client.stdout)
            prof = aggregate(raw_path.read_text(), args.top)
    lat, thr = result.get("latency", {}), result.get("throughput", {})
    print(
        f"{args.server}, {args.students} students: latency p50 {lat.get('p50_ms')} p99 {lat.get('p99_ms')} ms; "
        f"throughput {thr.get('marks_per_s')} marks/s; zero loss {result['loss']['ok']}"
    )
    for kind in ("self", "inclusive"):
        print(f"\n{kind}:")
        for name, share in prof.get(kind, []):
            print(f"  {share:5.1f}%  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
