"""Fixtures of the fault scenarios."""

import pytest

from tests.faults.redis_server import RedisServer


@pytest.fixture
def private_redis(tmp_path):
    """A redis-server of this test alone, on its own port: kill it and start it again at will."""
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.kill()
