"""Fixtures of the fault scenarios."""

import os
import uuid

import pytest

from attendance_project.stack import Stack, free_port
from harness.postgres_server import PostgresMissing, PostgresServer
from harness.redis_server import RedisServer, RedisServerMissing
from harness.tcp_proxy import TcpProxy
from tests.faults.school import FIGURES
from tests.services import _missing, require_caddy


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


@pytest.fixture
def redis_proxy(private_redis):
    """A TCP proxy in front of the private Redis: the test makes every connection hang at will."""
    proxy = TcpProxy(private_redis.port).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def private_postgres():
    """A PostgreSQL server of this test alone (the package's binaries, a non-root user): restart it at will."""
    try:
        server = PostgresServer()
    except PostgresMissing as exc:
        _missing("REQUIRE_POSTGRES", str(exc))
    try:
        server.create()
        yield server
    finally:
        server.remove()


@pytest.fixture
def school_stack(tmp_path):
    """Start Caddy in front of two workers on the given Redis (and database); stopped at the end."""
    require_caddy()
    started: list[Stack] = []

    def start(redis_url: str, workers: int = 2, **env: str) -> Stack:
        environment = {
            "REDIS_URL": redis_url,
            "CHANNEL_LAYER_PREFIX": "school" + uuid.uuid4().hex[:12],
            # The stack's own SQLite file unless the test names another database.
            "DATABASE_URL": "",
            "MONGO_URI": "",
            "SQLITE_PATH": str(tmp_path / "db.sqlite3"),
            "LOG_LEVEL": "WARNING",
            **env,
        }
        stack = Stack(workers=workers, port=free_port(), state_dir=tmp_path / "stack", env=environment)
        started.append(stack)
        return stack.start()

    yield start
    for stack in started:
        stack.stop()


def pytest_terminal_summary(terminalreporter):
    """Print the measured figures of every school scenario that ran (also without -s)."""
    if not FIGURES:
        return
    terminalreporter.section("fault scenarios under a school's load")
    for line in FIGURES:
        terminalreporter.write_line(line)
    path = os.environ.get("FAULTS_REPORT")
    if path:
        with open(path, "a") as report:
            report.write("\n".join(FIGURES) + "\n")
