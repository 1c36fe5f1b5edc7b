"""Fixtures of the fault scenarios."""

import pytest

from harness.redis_server import RedisServer, RedisServerMissing
from tests.services import _missing


@pytest.fixture
def private_redis(tmp_path):
    """A redis-server of this test alone, on its own port: kill it and start it again at will."""
    server = RedisServer(tmp_path / "redis")
    try:
        server.start()
    except RedisServerMissing as exc:
        _missing("REQUIRE_REDIS", str(exc))
    yield server
    server.kill()
