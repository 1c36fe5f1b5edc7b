"""bench.handshake_floor: the accept-only Daphne + Channels server and the storm client that measures it."""

import sys

import pytest

from bench.handshake_floor import _start, storm
from harness.processes import free_port, stop_process

pytestmark = pytest.mark.server


async def test_the_storm_opens_every_socket_of_the_accept_only_server_and_counts_refusals():
    port = free_port()
    daphne = ["-b", "127.0.0.1", "-p", str(port), "bench.handshake_floor:application"]
    server = _start([sys.executable, "-m", "bench.handshake_floor", "serve", *daphne], port)
    try:
        result = await storm([f"ws://127.0.0.1:{port}/ws"] * 12, in_flight=4)
        assert (result["open"], result["failed"]) == (12, 0)
        assert result["per_s"] > 0
    finally:
        stop_process(server, 10)
    refused = await storm([f"ws://127.0.0.1:{free_port()}/ws"] * 3, in_flight=2, timeout=2)
    assert (refused["open"], refused["failed"]) == (0, 3)
