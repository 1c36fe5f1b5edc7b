"""How fast can this stack accept WebSockets at all? The connect storm against three servers, in one run.

Usage:
    python -m bench.handshake_floor                     # 620 sockets, 200 handshakes in flight
    python -m bench.handshake_floor --sockets 2050 --rounds 3

The school benchmark's connect-rate target is a ratio to the in-memory reference
(bench/school_reference.py, plain `websockets`). This measures what part of the gap the
framework itself takes, so the project's figure can be read against it:

- **reference**: bench/school_reference.py, as in `make bench-school`;
- **Daphne, nothing else**: the project's launcher options (listen backlog, Twisted's direct
  sends, quiet autobahn, the calmer GC) serving a bare ASGI application that accepts every
  socket (`bare_application`);
- **Daphne + Channels, nothing else**: the same, serving a Channels consumer that accepts every
  socket at once: no token check, no database, no channel layer, no presence;
- **project**: one production worker (attendance_project.serve, `DEBUG` off, a private Redis,
  its own SQLite file) with seeded classes; every socket's token checked, its groups joined.

Every socket is opened with at most --in-flight handshakes at once, held until all are open,
then closed; the rate is sockets open per second from the first connect to the last open. The
figures are medians of --rounds rounds, each server measured once per round in turn.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.fanout import raise_fd_limit, socket_url
from harness.processes import free_port, stop_process
from harness.redis_server import RedisServer, flush_redis
from harness.server import ROOT, ServerProcess

# The accept-only application (`bench.handshake_floor:application`) -----------------------


def _application():
    from django.conf import settings

    if not settings.configured:
        settings.configure(CHANNEL_LAYERS={}, INSTALLED_APPS=[], USE_TZ=True)
    from channels.generic.websocket import AsyncWebsocketConsumer
    from channels.routing import ProtocolTypeRouter

    class AcceptAll(AsyncWebsocketConsumer):
        async def connect(self) -> None:
            await self.accept()

    return ProtocolTypeRouter({"websocket": AcceptAll.as_asgi()})


async def bare_application(scope, receive, send) -> None:
    """Daphne without Channels: a plain ASGI application that accepts every socket and waits for its end."""
    if scope["type"] != "websocket":
        return
    while True:
        event = await receive()
        if event["type"] == "websocket.connect":
            await send({"type": "websocket.accept"})
        elif event["type"] == "websocket.disconnect":
            return


def __getattr__(name: str):
    if name == "application":  # built on first use, so importing this module configures nothing
        return _application()
    raise AttributeError(name)


def serve(argv: list[str]) -> None:
    """Daphne's command line with the launcher options of attendance_project.serve."""
    from daphne import cli

    from attendance_project.serve import tune_gc
    from live.compat import listen_backlog, quiet_autobahn, send_at_once, spread_keepalive

    listen_backlog(1024)
    send_at_once()
    quiet_autobahn()
    spread_keepalive()
    tune_gc()
    sys.argv = ["daphne", *argv]
    cli.CommandLineInterface.entrypoint()


# The client ---------------------------------------------------------------------------------


async def storm(urls: list[str], in_flight: int, timeout: float = 15.0) -> dict:
    """Open every URL with at most `in_flight` handshakes at once; hold them all; close them."""
    from websockets.asyncio.client import connect

    gate = asyncio.Semaphore(in_flight)
    opened, failed = [], 0
    last_open = 0.0

    async def one(url: str) -> None:
        nonlocal failed, last_open
        async with gate:
            try:
                ws = await connect(url, open_timeout=timeout, ping_interval=None, max_queue=None)
            except Exception:  # noqa: BLE001 - any failed handshake counts
                failed += 1
                return
        opened.append(ws)
        last_open = time.perf_counter()

    start = time.perf_counter()
    await asyncio.gather(*(one(url) for url in urls))
    per_s = round(len(opened) / (last_open - start), 1) if opened else 0.0
    await asyncio.gather(*(ws.close() for ws in opened), return_exceptions=True)
    return {"sockets": len(urls), "open": len(opened), "failed": failed, "per_s": per_s}


def measure(urls: list[str], in_flight: int) -> dict:
    """Run the storm in a client process of its own (the servers keep the other core)."""
    payload = json.dumps({"urls": urls, "in_flight": in_flight})
    proc = subprocess.run(
        [sys.executable, "-m", "bench.handshake_floor", "client"],
        input=payload,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return json.loads(proc.stdout)


def _wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited early")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port} after {timeout}s")


def start_server(command: list[str], port: int) -> subprocess.Popen:
    """Start a server process and wait until it listens on `port`."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_for_port(port, proc)
    return proc


def start_floor(application: str, port: int, *options: str) -> subprocess.Popen:
    """Daphne with the launcher options of attendance_project.serve, serving `application` on `port`."""
    daphne = ["-b", "127.0.0.1", "-p", str(port), *options, application]
    return start_server([sys.executable, "-m", "bench.handshake_floor", "serve", *daphne], port)


def run(sockets: int, in_flight: int, rounds: int) -> dict:
    students = 30
    classes = max(1, round(sockets / (students + 1)))
    directory = Path(tempfile.mkdtemp(prefix="floor-"))
    redis = RedisServer()
    redis.start()
    ref_port, floor_port, bare_port = free_port(), free_port(), free_port()
    school = ["--classes", str(classes), "--students", str(students)]
    reference = start_server(
        [sys.executable, "-m", "bench.school_reference", "--port", str(ref_port), *school], ref_port
    )
    floor = start_floor("bench.handshake_floor:application", floor_port)
    bare = start_floor("bench.handshake_floor:bare_application", bare_port)
    project = ServerProcess(database=directory / "floor.sqlite3", redis_url=redis.url)
    flush_redis(redis.url)
    project.migrate()
    seed = json.loads(project.manage("loadtest_seed", "--classes", str(classes), "--students", str(students)))
    project.start(timeout=60)
    try:
        tokens = [
            token
            for klass in seed["classes"]
            for token in [klass["teacher"]["token"]] + [s["token"] for s in klass["students"]]
        ]
        fake = [f"teacher:{c}" for c in range(classes)] + [
            f"student:{c}:{i}" for c in range(classes) for i in range(students)
        ]
        servers = {
            "reference (websockets, in memory)": [socket_url(f"ws://127.0.0.1:{ref_port}/ws", t) for t in fake],
            "Daphne, accept only": [f"ws://127.0.0.1:{bare_port}/ws"] * len(fake),
            "Daphne + Channels, accept only": [f"ws://127.0.0.1:{floor_port}/ws"] * len(fake),
            "project, 1 worker, SQLite + Redis": [socket_url(project.ws, t) for t in tokens],
        }
        figures: dict[str, list[dict]] = {name: [] for name in servers}
        for _ in range(rounds):
            for name, urls in servers.items():
                figures[name].append(measure(urls, in_flight))
                time.sleep(1)
        return {
            name: {
                "per_s": statistics.median(r["per_s"] for r in results),
                "failed": max(r["failed"] for r in results),
                "sockets": results[0]["sockets"],
            }
            for name, results in figures.items()
        }
    finally:
        project.stop()
        stop_process(floor, 10)
        stop_process(bare, 10)
        stop_process(reference, 10)
        redis.stop()
        shutil.rmtree(directory, ignore_errors=True)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve(sys.argv[2:])
        return
    if len(sys.argv) > 1 and sys.argv[1] == "client":
        raise_fd_limit()
        job = json.loads(sys.stdin.read())
        print(json.dumps(asyncio.run(storm(job["urls"], job["in_flight"]))))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=620)
    parser.add_argument("--in-flight", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    load = os.getloadavg()
    results = run(args.sockets, args.in_flight, args.rounds)
    base = results["reference (websockets, in memory)"]["per_s"]
    print(f"load average before: {load[0]:.2f}, after: {os.getloadavg()[0]:.2f}")
    print("| server | sockets | connect/s (median) | failed | / reference |")
    print("|---|---|---|---|---|")
    for name, row in results.items():
        print(f"| {name} | {row['sockets']} | {row['per_s']} | {row['failed']} | {row['per_s'] / base:.2f} |")


if __name__ == "__main__":
    main()
