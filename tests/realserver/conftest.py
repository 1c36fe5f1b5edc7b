"""Real server processes for end-to-end tests."""

import json
import subprocess
import sys

import pytest

from tests.server import ROOT, ServerProcess


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


def seed_class(server: ServerProcess, students: int, *, session: bool = True) -> dict:
    """Seed a class of N token-only students in the server's database."""
    args = [sys.executable, "manage.py", "loadtest_seed", "--students", str(students)]
    if not session:
        args.append("--no-session")
    output = subprocess.run(args, cwd=ROOT, env=server.env, check=True, capture_output=True, text=True).stdout
    return json.loads(output)
