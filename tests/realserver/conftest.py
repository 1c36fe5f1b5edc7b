"""Real server processes for end-to-end tests."""

import pytest

from harness.server import ServerProcess


@pytest.fixture
def server_factory(tmp_path):
    """Start Daphne workers on one SQLite file; every worker is stopped at the end."""
    started: list[ServerProcess] = []
    database = tmp_path / "db.sqlite3"

    def start(redis_url: str = "", migrate: bool = True, args: tuple[str, ...] = (), **env) -> ServerProcess:
        server = ServerProcess(database=database, redis_url=redis_url, env=env, args=args)
        if migrate and not started:
            server.migrate()
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()
