"""Run bench/fanout.py against bench/reference_server.py for several class sizes.

Usage:
    python -m bench.selftest_reference                      # sizes 30 200 1000
    python bench/selftest_reference.py --sizes 30 --throughput-marks 500

Starts the reference server in a subprocess on a free port, runs the fan-out client in this
process for each size, prints a summary table to stderr and all results as JSON to stdout,
and exits 1 if any size lost, reordered or stalled a mark.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

try:
    from bench.fanout import run_fanout
except ImportError:  # run as a script: bench/ itself is on sys.path, not its parent
    from fanout import run_fanout  # type: ignore[no-redef]

# Enough marks for stable figures while keeping each size well under a minute on 2 cores.
DEFAULT_THROUGHPUT = {30: 10000, 200: 3000, 1000: 1500}


def start_server() -> tuple[subprocess.Popen[str], int]:
    """Start the reference server on a free port and return it with the port."""
    server = Path(__file__).resolve().parent / "reference_server.py"
    proc = subprocess.Popen(
        [sys.executable, str(server), "--host", "127.0.0.1", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("listening on "):
        proc.kill()
        raise RuntimeError(f"reference server did not start: {line!r}")
    return proc, int(line.split()[-1])


def row(size: int, res: dict[str, Any]) -> str:
    """Format one summary line."""
    lat, thr = res.get("latency", {}), res.get("throughput", {})
    return (
        f"{size:>5} {lat.get('p50_ms', 'nan'):>8} {lat.get('p99_ms', 'nan'):>8} "
        f"{lat.get('max_ms', 'nan'):>8} {thr.get('marks_per_s', 'nan'):>9} "
        f"{thr.get('deliveries_per_s', 'nan'):>11} {res['loss']['ok']!s:>7}"
    )


def main() -> int:
    """Benchmark every requested size against a fresh reference server."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[30, 200, 1000])
    p.add_argument("--latency-marks", type=int, default=200)
    p.add_argument("--throughput-marks", type=int, help="default depends on size")
    p.add_argument("--window", type=int, default=32)
    p.add_argument("--client", choices=("raw", "websockets"), default="raw")
    args = p.parse_args()
    proc, port = start_server()
    results: dict[str, Any] = {}
    try:
        for n in args.sizes:
            k = args.throughput_marks or DEFAULT_THROUGHPUT.get(n, max(200, 600_000 // (n + 1)))
            results[str(n)] = asyncio.run(
                run_fanout(
                    f"ws://127.0.0.1:{port}/ws",
                    "teacher",
                    [f"student-{i}" for i in range(n)],
                    [f"s{i:04d}" for i in range(n)],
                    latency_marks=args.latency_marks,
                    throughput_marks=k,
                    window=args.window,
                    client=args.client,
                )
            )
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print(" size  p50(ms)  p99(ms)  max(ms)   marks/s  deliveries/s  no-loss", file=sys.stderr)
    for n, res in results.items():
        print(row(int(n), res), file=sys.stderr)
    json.dump(results, sys.stdout, indent=2)
    print()
    return 0 if all(r["loss"]["ok"] for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
