"""Two WebSocket probes against the project server: how many sockets one worker holds, and DONE.

Usage:
    python -m bench.probes connections --url ws://127.0.0.1:3000/ws --setup-file class.json \
        --server-pid PID [--marks 3]
    python -m bench.probes done --url ws://127.0.0.1:3000/ws --setup-file class.json

connections: reads the server's RSS, opens every student socket of the setup file (bounded
concurrency, as bench/fanout.py does) plus the teacher's, waits for the server to settle,
reads RSS again, then proves every socket live: --marks teacher broadcasts must each reach
every socket, in order, with nothing lost. Prints sockets held, the RSS delta per socket and
the broadcast latencies.

done: opens the teacher's socket only and times the teacher's DONE send to the DONE frame
(the session is persisted first: one absent record per unmarked enrolled student).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
import time
from typing import Any

from websockets.asyncio.client import connect

from bench.fanout import FanoutRun, load_setup, raise_fd_limit, socket_url
from harness.processes import rss_kib


async def hold_connections(
    url: str, setup_file: str, server_pid: int, marks: int, concurrency: int, timeout: float
) -> dict[str, Any]:
    """Open every socket of the class, measure the server's RSS growth, prove each socket live."""
    raise_fd_limit()
    teacher, tokens, ids = load_setup(setup_file)
    run = FanoutRun(ids, timeout)
    await asyncio.sleep(1.0)
    rss_before = rss_kib(server_pid)
    t0 = time.perf_counter()
    await run.open_all(socket_url(url, teacher), [socket_url(url, t) for t in tokens], concurrency, "raw", None)
    connect_s = time.perf_counter() - t0
    gc.collect()
    await asyncio.sleep(3.0)  # let the server finish its per-connection work (presence, groups)
    rss_after = rss_kib(server_pid)
    try:
        res = await run.send_marks(marks, 1, 0.0)
        phase = run.phase_result(*res)
        await asyncio.sleep(0.2)
        loss = run.loss_report()
    finally:
        await run.close_all(concurrency)
    sockets = run.n_sockets
    return {
        "sockets": sockets,
        "connect_s": round(connect_s, 2),
        "connects_per_s": round(sockets / connect_s, 1),
        "rss_before_kib": rss_before,
        "rss_after_kib": rss_after,
        "kib_per_socket": round((rss_after - rss_before) / sockets, 1),
        "broadcast": phase,
        "all_live": bool(loss["ok"]) and phase["complete"],
        "loss": loss,
    }


async def time_done(url: str, setup_file: str, timeout: float) -> dict[str, Any]:
    """Send DONE as the teacher and time it until the DONE frame arrives."""
    teacher, _, ids = load_setup(setup_file)
    async with connect(socket_url(url, teacher), compression=None, ping_interval=None) as ws:
        t0 = time.perf_counter()
        await ws.send(json.dumps({"event": "DONE", "data": {}}))
        raw = await asyncio.wait_for(ws.recv(), timeout)
        elapsed = time.perf_counter() - t0
    frame = json.loads(raw)
    data = frame.get("data", {})
    ok = frame.get("event") == "DONE" and data.get("total") == len(ids) and data.get("absent") == len(ids)
    return {"ok": ok, "enrolled": len(ids), "done_ms": round(elapsed * 1000, 1), "frame": frame}


def cli(argv: list[str] | None = None) -> int:
    """Parse arguments, run one probe, print JSON."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="probe", required=True)
    c = sub.add_parser("connections")
    c.add_argument("--url", required=True)
    c.add_argument("--setup-file", required=True)
    c.add_argument("--server-pid", type=int, required=True)
    c.add_argument("--marks", type=int, default=3)
    c.add_argument("--connect-concurrency", type=int, default=100)
    c.add_argument("--timeout", type=float, default=30.0)
    d = sub.add_parser("done")
    d.add_argument("--url", required=True)
    d.add_argument("--setup-file", required=True)
    d.add_argument("--timeout", type=float, default=60.0)
    args = p.parse_args(argv)
    if args.probe == "connections":
        result = asyncio.run(
            hold_connections(
                args.url, args.setup_file, args.server_pid, args.marks, args.connect_concurrency, args.timeout
            )
        )
        ok = result["all_live"]
    else:
        result = asyncio.run(time_done(args.url, args.setup_file, args.timeout))
        ok = result["ok"]
    json.dump(result, sys.stdout)
    print()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(cli())
