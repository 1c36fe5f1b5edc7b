"""A real worker on PostgreSQL keeps to its connection pool however many sockets and requests it serves."""

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from harness.seed import seed_class
from harness.server import ServerProcess
from tests.realserver.wire import Socket, http
from tests.services import require_postgres

pytestmark = pytest.mark.server

POOL_MAX = 2


@pytest.fixture
def database_url():
    """A fresh PostgreSQL database for this test, dropped afterwards."""
    admin_url = require_postgres()
    name = "attendance_pool_" + uuid.uuid4().hex[:12]
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield admin_url.rsplit("/", 1)[0] + "/" + name, name
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def connections_to(name: str) -> int:
    with psycopg.connect(require_postgres(), autocommit=True) as admin:
        return admin.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (name,)).fetchone()[0]


async def test_one_worker_serves_many_sockets_and_requests_on_at_most_its_pool(tmp_path, database_url):
    url, name = database_url
    env = {"DATABASE_URL": url, "DB_POOL_MAX": str(POOL_MAX), "DB_POOL_MIN": "1"}
    server = ServerProcess(database=tmp_path / "unused.sqlite3", env=env)
    server.migrate()
    try:
        await asyncio.to_thread(server.start)
        seed = await asyncio.to_thread(seed_class, server, 6)
        teacher = await Socket.open(server.ws, seed["teacher"]["token"])
        students = [await Socket.open(server.ws, student["token"]) for student in seed["students"]]
        for student in seed["students"]:
            await teacher.send("ATTENDANCE_MARKED", {"studentId": student["id"], "status": "present"})
            await teacher.expect("ATTENDANCE_MARKED", studentId=student["id"])

        def me(token: str) -> int:
            return http(server.http, "GET", "/auth/me", token=token)[0]

        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(me, [s["token"] for s in seed["students"]] * 5))
        assert statuses == [200] * 30
        assert 1 <= connections_to(name) <= POOL_MAX

        await teacher.send("DONE")
        await teacher.expect("DONE", present=6, absent=0, total=6)
        for socket in students:
            await socket.close()
        await teacher.close()
        status, body = http(
            server.http, "GET", f"/class/{seed['classId']}/my-attendance", token=seed["students"][0]["token"]
        )
        assert (status, body["data"]["status"]) == (200, "present")
        assert connections_to(name) <= POOL_MAX
    finally:
        server.stop()
