"""bench.handshake_floor: the accept-only Daphne servers and the storm client that measures them."""

import pytest

from bench.handshake_floor import start_floor, storm
from harness.processes import free_port, stop_process

pytestmark = pytest.mark.server


@pytest.mark.parametrize("application", ["application", "bare_application"])
async def test_the_storm_opens_every_socket_of_an_accept_only_server_and_counts_refusals(application):
    port = free_port()
    server = start_floor(f"bench.handshake_floor:{application}", port)
    try:
        result = await storm([f"ws://127.0.0.1:{port}/ws"] * 12, in_flight=4)
        assert (result["open"], result["failed"]) == (12, 0)
        assert result["per_s"] > 0
    finally:
        stop_process(server, 10)
    refused = await storm([f"ws://127.0.0.1:{free_port()}/ws"] * 3, in_flight=2, timeout=2)
    assert (refused["open"], refused["failed"]) == (0, 3)


def test_the_school_run_measures_the_connect_storm_against_each_accept_only_server():
    from types import SimpleNamespace

    from bench.school_run import FLOORS, connect_floor

    for application in FLOORS.values():
        row = connect_floor(application, 2, 5, SimpleNamespace(in_flight=4))
        assert row["ok"] and row["connect_failed"] == 0
        assert row["connect_per_s"] > 0
