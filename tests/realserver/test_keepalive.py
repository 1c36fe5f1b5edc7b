"""Daphne's keepalive pings, as the project's launcher runs Daphne: spread out, not a burst every interval."""

import asyncio
import base64
import os
import time

import pytest

from bench.handshake_floor import start_floor
from harness.processes import free_port, stop_process
from live.compat import CHECK_PERIOD_SECONDS

pytestmark = pytest.mark.server

PING_INTERVAL = 2
SOCKETS = 24


async def first_ping_after(port: int) -> float:
    """Open a WebSocket by hand; return the seconds from open to the server's first ping."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 101")
    opened = time.monotonic()
    try:
        while True:
            head = await reader.readexactly(2)
            length = head[1] & 0x7F
            await reader.readexactly(length)  # a ping's payload is short
            if head[0] & 0x0F == 0x9:
                return time.monotonic() - opened
    finally:
        writer.close()


async def test_sockets_opened_together_get_their_first_pings_spread_over_the_interval():
    port = free_port()
    server = start_floor("bench.handshake_floor:application", port, "--ping-interval", str(PING_INTERVAL))
    try:
        waits = await asyncio.wait_for(asyncio.gather(*(first_ping_after(port) for _ in range(SOCKETS))), 30)
    finally:
        stop_process(server, 10)
    # Each socket is still pinged: within its first interval, plus the wait for the next period's
    # turn of checks (a socket that opened after this period's turns were dealt is checked in the
    # next one), plus slack for a busy machine ...
    assert max(waits) <= PING_INTERVAL + 2 * CHECK_PERIOD_SECONDS + 2
    # ... but not all in the same pass, as Daphne alone does for sockets opened together.
    assert max(waits) - min(waits) > 0.8
