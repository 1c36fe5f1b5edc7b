"""Faults in the middle of a school's marking: Redis, the database or a worker goes away.

Every scenario but the embedded one runs the deployed topology: Caddy in front of two
workers (attendance_project.stack), a private Redis, and one database. The checks and the
figures are those of tests/faults/school.py.
"""

import asyncio
import functools

import pytest

from harness.school import School, postgres_marks, sqlite_marks
from harness.seed import seed_school
from harness.server import ServerProcess
from tests.faults.school import CLASSES, MARKS_PER_SECOND, STUDENTS, run_school_scenario
from tests.faults.test_database_locked import DatabaseLock

pytestmark = [pytest.mark.server, pytest.mark.redis, pytest.mark.faults]

REDIS_DOWN_SECONDS = 2.0
REDIS_HANG_SECONDS = 10.0
POSTGRES_DOWN_SECONDS = 3.0
SQLITE_LOCKED_SECONDS = 5.0


async def school_on(stack) -> School:
    classes = await asyncio.to_thread(seed_school, stack.manage, CLASSES, STUDENTS)
    ws = stack.url.replace("http", "ws", 1) + "/ws"
    return School(ws, classes, http_url=stack.url, marks_per_second=MARKS_PER_SECOND)


def outage(stop, start, seconds: float):
    """A fault: `stop()`, `seconds` of outage, `start()` (both blocking calls, run in a thread)."""

    async def fault() -> None:
        await asyncio.to_thread(stop)
        await asyncio.sleep(seconds)
        await asyncio.to_thread(start)

    return fault


async def test_redis_restarted_with_its_data_lost_mid_marking(school_stack, private_redis, tmp_path):
    stack = await asyncio.to_thread(school_stack, private_redis.url)
    school = await school_on(stack)

    restart_redis = outage(private_redis.kill, private_redis.start, REDIS_DOWN_SECONDS)
    database = functools.partial(sqlite_marks, tmp_path / "db.sqlite3")
    await run_school_scenario("Redis restarted, data lost", school, restart_redis, database)


async def test_redis_unreachable_for_ten_seconds_mid_marking(school_stack, redis_proxy, tmp_path):
    stack = await asyncio.to_thread(school_stack, f"redis://127.0.0.1:{redis_proxy.port}/0")
    school = await school_on(stack)

    partition = outage(redis_proxy.hang, redis_proxy.resume, REDIS_HANG_SECONDS)
    database = functools.partial(sqlite_marks, tmp_path / "db.sqlite3")
    await run_school_scenario("Redis unreachable 10 s", school, partition, database)


async def test_one_of_two_workers_killed_mid_marking(school_stack, private_redis, tmp_path):
    stack = await asyncio.to_thread(school_stack, private_redis.url)
    school = await school_on(stack)

    async def kill_a_worker() -> None:
        await asyncio.to_thread(stack.stop_worker, 0)

    database = functools.partial(sqlite_marks, tmp_path / "db.sqlite3")
    result = await run_school_scenario("one of two workers SIGKILLed", school, kill_a_worker, database)
    # least_conn spread the sockets: the killed worker held a good share of them, and each came back.
    dropped = sum(client.dropped for client in school.clients)
    assert dropped >= len(school.clients) // 3, dropped
    assert result.reconnects >= dropped


async def test_postgresql_restarted_mid_marking(school_stack, private_redis, private_postgres):
    stack = await asyncio.to_thread(school_stack, private_redis.url, DATABASE_URL=private_postgres.url)
    school = await school_on(stack)

    restart_postgres = outage(private_postgres.stop, private_postgres.start, POSTGRES_DOWN_SECONDS)
    database = functools.partial(postgres_marks, private_postgres.url)
    await run_school_scenario("PostgreSQL restarted", school, restart_postgres, database)


async def test_sqlite_locked_for_a_while_on_the_embedded_path(tmp_path):
    # The embedded default: one worker, its SQLite file, the in-memory channel layer; no Redis.
    server = ServerProcess(database=tmp_path / "db.sqlite3", env={"SQLITE_TIMEOUT": "2"})
    server.migrate()
    await asyncio.to_thread(server.start)
    try:
        classes = await asyncio.to_thread(seed_school, server.manage, CLASSES, STUDENTS)
        school = School(server.ws, classes, http_url=server.http, marks_per_second=MARKS_PER_SECOND)

        async def lock_the_database() -> None:
            lock = await asyncio.to_thread(DatabaseLock, server.database)
            try:
                await asyncio.sleep(SQLITE_LOCKED_SECONDS)
            finally:
                await asyncio.to_thread(lock.release)

        database = functools.partial(sqlite_marks, server.database)
        result = await run_school_scenario("SQLite locked 5 s (embedded)", school, lock_the_database, database)
        # Marks made while the file was locked were refused, and said so.
        assert result.outcomes.get("error", 0) > 0
    finally:
        await asyncio.to_thread(server.stop)


async def test_no_fault_every_screen_follows_the_marking(school_stack, private_redis, tmp_path):
    # The control: the same load and the same checks with nothing failing.
    stack = await asyncio.to_thread(school_stack, private_redis.url)
    school = await school_on(stack)

    async def nothing() -> None:
        return None

    database = functools.partial(sqlite_marks, tmp_path / "db.sqlite3")
    await run_school_scenario("no fault (control)", school, nothing, database)
