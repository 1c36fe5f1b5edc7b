"""Fan-out load client: one teacher marks attendance, N+1 sockets must each receive every mark.

Usage:
    # against bench/reference_server.py (fake tokens "teacher" / "student-i", ids "s0000"..)
    python bench/fanout.py --url ws://127.0.0.1:8765/ws --fake-students 1000

    # against the project server, with a class made by bench/setup_class.py
    python bench/setup_class.py --base http://127.0.0.1:3000 --students 1000 --out class.json
    python bench/fanout.py --url ws://127.0.0.1:3000/ws --setup-file class.json

    Options: --latency-marks 200 --throughput-marks 1000 --window 32 --rate 0 --warmup 10
             --timeout 10 --max-seconds 0 --connect-concurrency 100 --client raw|websockets --origin URL

Prints one JSON object; exits 1 if any socket missed, reordered or got an unexpected frame.
From Python: ``await run_fanout(url, teacher_token, student_tokens, student_ids, ...)``.

Phases, after all N student sockets and the teacher socket are open:
- latency: one mark at a time; latency = teacher's send -> the last of the N+1 sockets has it.
- throughput: marks back-to-back with at most --window marks in flight (sent but not yet
  received by every socket), optionally paced by --rate marks/s; reports marks/s and
  deliveries/s (marks x sockets) sustained from the first send to the last receipt.

Loss detection: the server echoes only {studentId, status}, so mark i is made unique within
any 2M consecutive marks (M = number of student ids): studentId = ids[i % M] and status
alternates with i // M. Each student's consecutive marks therefore flip its status (a server
that skips no-op updates still has to broadcast every one), and each socket must see the
exact sequence in order: a frame that matches a later mark counts the skipped ones as missing.
A missing frame stalls its mark, so a phase gives up once no mark has completed for --timeout
seconds (progress-based, so a slow server with a wide window is not mistaken for loss).

Clients: the teacher always uses the ``websockets`` library. Student sockets default to a
minimal receive-only WebSocket client (``--client raw``) that parses frames inside
``data_received``, at about half the library's CPU per delivery (no per-frame task wake-up);
``--client websockets`` uses the library for every socket, as a cross-check. Receipt times
are taken in this process, so client-side queueing is included: against the reference server
at 1,000 sockets this single client process is still the busier side, so figures there are a
lower bound on what the server can do.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import math
import os
import resource
import ssl
import sys
import time
from typing import Any
from urllib.parse import quote, urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin
from websockets.utils import accept_key, generate_key

STATUSES = ("present", "absent")


def raise_fd_limit() -> int:
    """Raise the open-file soft limit to the hard limit and return the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass  # keep the old limit; connecting will report EMFILE if it is too low
    return soft


def socket_url(base: str, token: str) -> str:
    """Append the token query parameter to a ws:// URL (path defaults to /ws)."""
    if "/" not in base.split("://", 1)[-1]:
        base += "/ws"
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}token={quote(token, safe='')}"


def percentile(sorted_values: list[float], pct: float) -> float:
    """Return the nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def latency_stats(latencies_s: list[float]) -> dict[str, float]:
    """Summarise latencies in milliseconds."""
    ms = sorted(x * 1000 for x in latencies_s)
    if not ms:
        return {"p50_ms": math.nan, "p99_ms": math.nan, "max_ms": math.nan, "mean_ms": math.nan}
    return {
        "p50_ms": round(percentile(ms, 50), 3),
        "p99_ms": round(percentile(ms, 99), 3),
        "max_ms": round(ms[-1], 3),
        "mean_ms": round(sum(ms) / len(ms), 3),
    }


def client_frame(opcode: int, payload: bytes) -> bytes:
    """Build a masked client frame for a short control payload (< 126 bytes)."""
    mask = os.urandom(4)
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + body


class RawReceiver(asyncio.Protocol):
    """Receive-only WebSocket client: HTTP upgrade, then server frames parsed inline."""

    def __init__(self, run: FanoutRun, idx: int, url: str, origin: str | None) -> None:
        self.run, self.idx = run, idx
        parts = urlsplit(url)
        self.key = generate_key()
        origin_line = f"Origin: {origin}\r\n" if origin else ""
        self.request = (
            f"GET {parts.path or '/'}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {self.key}\r\n"
            f"Sec-WebSocket-Version: 13\r\n{origin_line}\r\n"
        ).encode()
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.upgraded = False
        self.fragments: bytearray | None = None
        self.closing = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Send the upgrade request."""
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(self.request)

    def fail(self, reason: str) -> None:
        """Fail the handshake or report a protocol error, then drop the connection."""
        if not self.opened.done():
            self.opened.set_exception(ConnectionError(reason))
        else:
            self.run.socket_closed(self.idx, reason)
        self.closing = True
        if self.transport:
            self.transport.close()

    def check_upgrade(self) -> bool:
        """Consume the 101 response once complete; return whether frames may follow."""
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = bytes(self.buf[:end]).decode("latin-1").split("\r\n")
        del self.buf[: end + 4]
        headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in head)}
        if head[0].split(" ")[1:2] != ["101"]:
            self.fail(f"handshake refused: {head[0]}")
        elif headers.get("sec-websocket-accept") != accept_key(self.key):
            self.fail("handshake: bad Sec-WebSocket-Accept")
        elif headers.get("sec-websocket-extensions"):
            self.fail("handshake: server forced an extension we did not offer")
        else:
            self.upgraded = True
            self.opened.set_result(None)
        return self.upgraded

    def data_received(self, data: bytes) -> None:
        """Parse every complete frame in the buffer."""
        now = time.perf_counter()
        buf = self.buf
        buf += data
        if not self.upgraded and not self.check_upgrade():
            return
        pos, size = 0, len(buf)
        while size - pos >= 2 and not self.closing:
            b0, b1 = buf[pos], buf[pos + 1]
            length, start = b1 & 0x7F, pos + 2
            if length == 126:
                if size - pos < 4:
                    break
                length, start = int.from_bytes(buf[pos + 2 : pos + 4], "big"), pos + 4
            elif length == 127:
                if size - pos < 10:
                    break
                length, start = int.from_bytes(buf[pos + 2 : pos + 10], "big"), pos + 10
            if size - start < length:
                break
            pos = start + length
            if b1 & 0x80 or b0 & 0x70:
                self.fail("protocol error: masked or RSV-flagged server frame")
                return
            self.frame(b0 & 0x80, b0 & 0x0F, bytes(buf[start:pos]), now)
        del buf[:pos]

    def frame(self, fin: int, opcode: int, payload: bytes, now: float) -> None:
        """Handle one frame: deliver messages, answer pings and closes."""
        if opcode in (0x1, 0x2):
            if fin:
                self.run.deliver(self.idx, payload, now)
            else:
                self.fragments = bytearray(payload)
        elif opcode == 0x0 and self.fragments is not None:
            self.fragments += payload
            if fin:
                self.run.deliver(self.idx, bytes(self.fragments), now)
                self.fragments = None
        elif opcode == 0x9 and self.transport:
            self.transport.write(client_frame(0xA, payload))
        elif opcode == 0x8:
            code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
            self.run.socket_closed(self.idx, f"server closed: {code} {payload[2:]!r}")
            self.close(payload[:2])

    def close(self, code: bytes = b"\x03\xe8") -> None:
        """Send a close frame and drop the connection without waiting for the echo."""
        if self.transport and not self.closing:
            self.closing = True
            self.transport.write(client_frame(0x8, code))
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        """Report a connection that dies on its own."""
        if not self.opened.done():
            self.opened.set_exception(ConnectionError(f"connection lost: {exc}"))
        elif not self.closing:
            self.run.socket_closed(self.idx, f"connection lost: {exc}")
        self.closing = True


class FanoutRun:
    """Own the sockets and the per-mark bookkeeping of one benchmark run."""

    def __init__(self, student_ids: list[str], timeout: float) -> None:
        self.ids = list(dict.fromkeys(student_ids))  # duplicates would break uniqueness
        if not self.ids:
            raise ValueError("need at least one student id to mark")
        self.span = 2 * len(self.ids)  # keys are unique within this many consecutive marks
        self.timeout = timeout
        self.teacher: ClientConnection | None = None
        self.ws_sockets: list[ClientConnection] = []
        self.raw_sockets: list[RawReceiver] = []
        self.tasks: list[asyncio.Task[None]] = []
        self.n_sockets = 0
        # Per mark, indexed by sequence number.
        self.keys: list[tuple[str, str]] = []
        self.sent_at: list[float] = []
        self.done_at: list[float] = []
        self.remaining: list[int] = []
        self.completed = 0
        # Per socket.
        self.next_seq: list[int] = []
        self.received: list[int] = []
        self.missing: list[int] = []
        self.unexpected: list[int] = []
        self.samples: list[str] = []  # first few oddities, for diagnosis
        self.closed = 0
        self.aborted = False
        self.shutting_down = False
        self.window = 1
        self.slots = asyncio.Semaphore(1)
        self.all_done = asyncio.Event()
        self.target = 0
        # Every socket receives identical bytes for a mark: parse them once.
        self.parsed: dict[bytes, tuple[str, str] | None] = {}

    def mark(self, seq: int) -> tuple[str, str]:
        """Return the (studentId, status) that mark number seq carries."""
        m = len(self.ids)
        return self.ids[seq % m], STATUSES[(seq // m) % 2]

    def note(self, text: str) -> None:
        """Keep a bounded sample of anomalies."""
        if len(self.samples) < 20:
            self.samples.append(text)

    async def open_all(
        self, teacher_url: str, student_urls: list[str], concurrency: int, client: str, origin: str | None
    ) -> None:
        """Open the teacher and every student socket, bounded in concurrency; raise on failure."""
        self.n_sockets = 1 + len(student_urls)
        n = self.n_sockets
        self.next_seq, self.received = [0] * n, [0] * n
        self.missing, self.unexpected = [0] * n, [0] * n
        gate = asyncio.Semaphore(concurrency)
        loop = asyncio.get_running_loop()

        async def with_library(idx: int, url: str) -> None:
            async with gate:
                ws = await connect(
                    url,
                    origin=Origin(origin) if origin else None,
                    open_timeout=self.timeout,
                    ping_interval=None,  # a busy client loop must not kill a healthy socket
                    compression=None,  # deflate would cost both sides CPU per frame
                    max_queue=None,  # in-flight is bounded by the window already
                    max_size=None,
                )
            if idx == 0:
                self.teacher = ws
            else:
                self.ws_sockets.append(ws)
            self.tasks.append(asyncio.create_task(self.reader(idx, ws)))

        async def raw(idx: int, url: str) -> None:
            parts = urlsplit(url)
            secure = parts.scheme == "wss"
            async with gate:
                _, proto = await asyncio.wait_for(
                    loop.create_connection(
                        lambda: RawReceiver(self, idx, url, origin),
                        parts.hostname,
                        parts.port or (443 if secure else 80),
                        ssl=ssl.create_default_context() if secure else None,
                    ),
                    self.timeout,
                )
                self.raw_sockets.append(proto)
                await asyncio.wait_for(proto.opened, self.timeout)

        opener = raw if client == "raw" else with_library
        results = await asyncio.gather(
            with_library(0, teacher_url),
            *(opener(i, u) for i, u in enumerate(student_urls, start=1)),
            return_exceptions=True,
        )
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors:
            await self.close_all(concurrency)
            raise RuntimeError(f"{len(errors)}/{n} sockets failed to open: {errors[0]!r}")

    def parse(self, raw: bytes) -> tuple[str, str] | None:
        """Extract (studentId, status) from an ATTENDANCE_MARKED frame, else None."""
        try:
            frame = json.loads(raw)
            if frame.get("event") == "ATTENDANCE_MARKED":
                data = frame["data"]
                return str(data["studentId"]), str(data["status"])
        except (ValueError, TypeError, KeyError, AttributeError):
            pass
        return None

    def deliver(self, idx: int, raw: bytes, now: float) -> None:
        """Match a frame received by socket idx to the mark it should see next."""
        try:
            key = self.parsed[raw]
        except KeyError:
            key = self.parsed[raw] = self.parse(raw)
        if key is None:
            self.unexpected[idx] += 1
            self.note(f"socket {idx}: unexpected frame {raw[:200]!r}")
            return
        keys = self.keys
        nxt = self.next_seq[idx]
        if nxt < len(keys) and keys[nxt] == key:
            seq = nxt
        else:
            end = min(len(keys), nxt + self.span - 1)  # stop short of the repeat of nxt - 1
            seq = next((s for s in range(nxt + 1, end) if keys[s] == key), -1)
            if seq < 0:
                self.unexpected[idx] += 1
                self.note(f"socket {idx}: frame {key} matches no pending mark")
                return
            self.missing[idx] += seq - nxt
            self.note(f"socket {idx}: marks {nxt}..{seq - 1} missing or out of order")
        self.next_seq[idx] = seq + 1
        self.received[idx] += 1
        left = self.remaining[seq] - 1
        self.remaining[seq] = left
        if left == 0:
            self.done_at[seq] = now
            self.completed += 1
            self.slots.release()
            if self.completed >= self.target:
                self.all_done.set()

    async def reader(self, idx: int, ws: ClientConnection) -> None:
        """Feed frames of a library socket to deliver()."""
        try:
            while True:
                raw = await ws.recv(decode=False)
                self.deliver(idx, raw, time.perf_counter())
        except ConnectionClosed as exc:
            self.socket_closed(idx, str(exc))

    def socket_closed(self, idx: int, reason: str) -> None:
        """Record a socket that closed on its own and stop the run now, not after the timeout."""
        if self.shutting_down:
            return
        self.closed += 1
        self.note(f"socket {idx}: closed mid-run: {reason}")
        self.aborted = True
        self.all_done.set()
        for _ in range(self.window + 1):
            self.slots.release()  # wake the sender, which then sees aborted

    async def send_marks(self, count: int, window: int, rate: float, max_seconds: float = 0.0) -> tuple[int, int, bool]:
        """Send count marks (fewer if max_seconds runs out) with at most window in flight.

        Returns (first, end, complete): marks first..end-1 were sent.
        """
        assert self.teacher is not None
        first = len(self.keys)
        self.window = window
        self.slots = asyncio.Semaphore(window)
        self.target = self.completed + count
        self.all_done = asyncio.Event()
        start = time.perf_counter()
        first_completed = self.completed
        for i in range(count):
            if max_seconds and i and time.perf_counter() - start > max_seconds:
                break  # a slow server gets fewer marks, not a longer run
            try:
                await asyncio.wait_for(self.slots.acquire(), self.timeout)
            except TimeoutError:
                self.note(f"no mark completed within {self.timeout}s; stopped sending")
                return first, len(self.keys), False
            if self.aborted:
                return first, len(self.keys), False
            if rate > 0:
                delay = start + i / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            student_id, status = self.mark(len(self.keys))
            frame = {"event": "ATTENDANCE_MARKED", "data": {"studentId": student_id, "status": status}}
            text = json.dumps(frame)
            # Book the mark before sending: the echo can arrive before send() returns.
            self.keys.append((student_id, status))
            self.remaining.append(self.n_sockets)
            self.done_at.append(math.nan)
            self.sent_at.append(time.perf_counter())
            await self.teacher.send(text)
        self.target = first_completed + (len(self.keys) - first)
        if self.completed >= self.target:
            self.all_done.set()
        # Give up only when nothing completes for a whole timeout: a slow server with a wide
        # window may legitimately hold the last marks for longer than that in total.
        while not self.all_done.is_set():
            before = self.completed
            try:
                await asyncio.wait_for(self.all_done.wait(), self.timeout)
            except TimeoutError:
                if self.completed == before:
                    self.note(f"no mark completed within {self.timeout}s; last marks incomplete")
                    break
        return first, len(self.keys), self.completed >= self.target and not self.aborted

    def phase_result(self, first: int, end: int, complete: bool) -> dict[str, Any]:
        """Summarise marks first..end-1."""
        lat = [self.done_at[s] - self.sent_at[s] for s in range(first, end) if not math.isnan(self.done_at[s])]
        out: dict[str, Any] = {
            "marks_sent": end - first,
            "marks_complete": len(lat),
            "complete": complete,
            **latency_stats(lat),
        }
        if end > first and complete:
            elapsed = max(self.done_at[first:end]) - self.sent_at[first]
            out["elapsed_s"] = round(elapsed, 4)
            out["marks_per_s"] = round((end - first) / elapsed, 1)
            out["deliveries_per_s"] = round((end - first) * self.n_sockets / elapsed, 1)
        return out

    def loss_report(self) -> dict[str, Any]:
        """Check that every socket received every mark sent, in order, and nothing else."""
        sent = len(self.keys)
        short = sum(1 for r in self.received if r != sent)
        ok = (
            short == 0
            and not any(self.missing)
            and not any(self.unexpected)
            and self.closed == 0
            and self.completed == sent
        )
        return {
            "ok": ok,
            "marks_sent": sent,
            "deliveries_expected": sent * self.n_sockets,
            "deliveries_received": sum(self.received),
            "sockets_short": short,
            "missing": sum(self.missing),
            "unexpected": sum(self.unexpected),
            "closed_early": self.closed,
            "samples": self.samples,
        }

    async def close_all(self, concurrency: int) -> None:
        """Close every socket, bounded in concurrency and time."""
        self.shutting_down = True
        for proto in self.raw_sockets:
            proto.close()
        gate = asyncio.Semaphore(concurrency)

        async def one(ws: ClientConnection) -> None:
            async with gate:
                with contextlib.suppress(TimeoutError, OSError):
                    await asyncio.wait_for(ws.close(), self.timeout)

        library = self.ws_sockets + ([self.teacher] if self.teacher else [])
        await asyncio.gather(*(one(ws) for ws in library))
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


async def run_fanout(
    url: str,
    teacher_token: str,
    student_tokens: list[str],
    student_ids: list[str],
    *,
    latency_marks: int = 200,
    throughput_marks: int = 1000,
    window: int = 32,
    rate: float = 0.0,
    warmup: int = 10,
    timeout: float = 10.0,
    connect_concurrency: int = 100,
    client: str = "raw",
    origin: str | None = None,
    max_seconds: float = 0.0,
) -> dict[str, Any]:
    """Open N student sockets and one teacher socket, run both phases and return results."""
    fd_limit = raise_fd_limit()
    run = FanoutRun(student_ids, timeout)
    t0 = time.perf_counter()
    await run.open_all(
        socket_url(url, teacher_token),
        [socket_url(url, t) for t in student_tokens],
        connect_concurrency,
        client,
        origin,
    )
    connect_s = time.perf_counter() - t0
    # The sockets and bookkeeping live for the whole run: stop the GC from rescanning them.
    gc.collect()
    gc.freeze()
    result: dict[str, Any] = {
        "students": len(student_tokens),
        "sockets": run.n_sockets,
        "student_ids": len(run.ids),
        "client": client,
        "fd_limit": fd_limit,
        "connect_s": round(connect_s, 3),
    }
    try:
        ok = True
        if warmup:
            ok = (await run.send_marks(warmup, 1, 0.0))[2]
        if ok and latency_marks:
            res = await run.send_marks(latency_marks, 1, 0.0, max_seconds)
            result["latency"] = run.phase_result(*res)
            ok = res[2]
        if ok and throughput_marks:
            res = await run.send_marks(throughput_marks, window, rate, max_seconds)
            result["throughput"] = {"window": window, "rate": rate, **run.phase_result(*res)}
        # Let stray or duplicate frames arrive before judging.
        await asyncio.sleep(0.2)
        result["loss"] = run.loss_report()
    finally:
        await run.close_all(connect_concurrency)
        gc.unfreeze()
    return result


def load_setup(path: str) -> tuple[str, list[str], list[str]]:
    """Read teacher token, student tokens and ids from a setup_class.py output file."""
    with open(path, encoding="utf-8") as fh:
        setup = json.load(fh)
    return setup["teacher_token"], setup["student_tokens"], setup["student_ids"]


def cli(argv: list[str] | None = None) -> int:
    """Parse arguments, run the benchmark, print JSON and return the exit status."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", required=True, help="ws://host:port/ws (token is appended)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--setup-file", help="JSON written by bench/setup_class.py")
    src.add_argument("--fake-students", type=int, help="N students with reference-server tokens (teacher / student-i)")
    p.add_argument("--latency-marks", type=int, default=200)
    p.add_argument("--throughput-marks", type=int, default=1000)
    p.add_argument("--window", type=int, default=32, help="max marks in flight")
    p.add_argument("--rate", type=float, default=0.0, help="marks/s, 0 = back-to-back")
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--timeout", type=float, default=10.0, help="give up after this long without progress")
    p.add_argument("--max-seconds", type=float, default=0.0, help="stop sending after this long per phase, 0 = never")
    p.add_argument("--connect-concurrency", type=int, default=100)
    p.add_argument("--client", choices=("raw", "websockets"), default="raw", help="student socket implementation")
    p.add_argument("--origin", help="Origin header, for servers that check it")
    args = p.parse_args(argv)
    if args.setup_file:
        teacher, tokens, ids = load_setup(args.setup_file)
    else:
        teacher = "teacher"
        tokens = [f"student-{i}" for i in range(args.fake_students)]
        ids = [f"s{i:04d}" for i in range(args.fake_students)]
    result = asyncio.run(
        run_fanout(
            args.url,
            teacher,
            tokens,
            ids,
            latency_marks=args.latency_marks,
            throughput_marks=args.throughput_marks,
            window=args.window,
            rate=args.rate,
            warmup=args.warmup,
            timeout=args.timeout,
            connect_concurrency=args.connect_concurrency,
            client=args.client,
            origin=args.origin,
            max_seconds=args.max_seconds,
        )
    )
    json.dump(result, sys.stdout, indent=2)
    print()
    return 0 if result["loss"]["ok"] else 1


if __name__ == "__main__":
    sys.exit(cli())
