"""A client that opens its socket and then never reads again, while the teacher marks on.

Daphne runs with a short keepalive (`--ping-interval 1 --ping-timeout 2`): the stalled
client cannot answer a ping it never reads, so the server drops it. Meanwhile its
classmates receive every mark, in order, and the server's memory stays bounded.
"""

import asyncio
import base64
import os
import select
import socket
import time

import pytest

from harness.seed import seed_class
from tests.realserver.wire import Socket

pytestmark = pytest.mark.server

MARKS = 1200
READERS = 5
DROP_WITHIN_SECONDS = 60
RSS_GROWTH_LIMIT_KIB = 300 * 1024


class StalledClient:
    """A raw TCP client: a valid WebSocket handshake, then it never reads another byte."""

    def __init__(self, port: int, token: str) -> None:
        self.sock = socket.socket()
        # A small receive window makes the server hold whatever it still wants to send.
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET /ws?token={token} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        response = b""
        while b"\r\n\r\n" not in response:
            response += self.sock.recv(1)  # byte by byte: not one byte past the handshake
        assert response.startswith(b"HTTP/1.1 101"), response

    def dropped_by_server(self) -> bool:
        """Whether the server closed (FIN) or reset (RST) the connection; reads nothing."""
        poller = select.poll()
        poller.register(self.sock, select.POLLRDHUP | select.POLLERR | select.POLLHUP)
        return any(events & (select.POLLRDHUP | select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))

    def close(self) -> None:
        self.sock.close()


async def test_a_client_that_stops_reading_is_dropped_and_holds_up_nobody(server_factory):
    server = server_factory(
        args=("--ping-interval", "1", "--ping-timeout", "2"),
        # The teacher marks far faster than a person would; the per-socket limit is not under test.
        WS_RATE_LIMIT_PER_SECOND="100000",
        WS_RATE_LIMIT_BURST="100000",
    )
    seed = await asyncio.to_thread(seed_class, server, 40)
    students = seed["students"]
    teacher = await Socket.open(server.ws, seed["teacher"]["token"])
    readers = [await Socket.open(server.ws, student["token"]) for student in students[:READERS]]
    rss_before = server.rss_kib()
    stalled = StalledClient(server.port, students[-1]["token"])

    sent: list[dict] = []
    received: list[list[dict]] = [[] for _ in readers]
    dropped_after: float | None = None
    started = time.monotonic()

    async def read_all(socket: Socket, frames: list[dict]) -> None:
        while len(frames) < MARKS:
            frames.append((await socket.recv())["data"])

    async def mark_all() -> None:
        for n in range(MARKS):
            data = {"studentId": students[n % len(students)]["id"], "status": "present" if n % 3 else "absent"}
            sent.append({**data, "classId": seed["classId"], "seq": n + 1})
            await teacher.send("ATTENDANCE_MARKED", data)

    async def watch_the_stalled_client() -> None:
        nonlocal dropped_after
        while time.monotonic() - started < DROP_WITHIN_SECONDS:
            if stalled.dropped_by_server():
                dropped_after = time.monotonic() - started
                return
            await asyncio.sleep(0.1)

    echoes: list[dict] = []
    watcher = asyncio.ensure_future(watch_the_stalled_client())
    await asyncio.gather(
        mark_all(), read_all(teacher, echoes), *(read_all(r, f) for r, f in zip(readers, received, strict=True))
    )
    marking_took = time.monotonic() - started
    rss_peak = server.rss_kib()
    await watcher

    # Every classmate got every mark, in the order it was made, numbered by the one session's seq.
    assert len({frame.pop("sessionId") for frames in (echoes, *received) for frame in frames}) == 1
    assert echoes == sent
    assert all(frames == sent for frames in received)
    assert dropped_after is not None, f"the stalled client was still connected after {DROP_WITHIN_SECONDS}s"
    assert rss_peak - rss_before < RSS_GROWTH_LIMIT_KIB, (rss_before, rss_peak)

    # The server carries on for everyone else.
    await teacher.send("TODAY_SUMMARY")
    await teacher.expect("TODAY_SUMMARY", total=len(students))
    for reader in readers:
        await reader.expect("TODAY_SUMMARY", total=len(students))
    print(
        f"{MARKS} marks in {marking_took:.1f}s; stalled client dropped after {dropped_after:.1f}s; "
        f"RSS {rss_before} KiB -> {rss_peak} KiB"
    )
    stalled.close()
    await teacher.close()
    for reader in readers:
        await reader.close()
