"""Every SQLite connection is tuned whatever configured it; PostgreSQL gets a bounded pool."""

import json
import subprocess
import sys

import pytest

from harness.server import ROOT

# Opens the configured connection, as a worker would, and reports what SQLite says.
PROBE = """
import django, json, sqlite3
django.setup()
from django.conf import settings
from django.db import connection, transaction
db = settings.DATABASES["default"]
if connection.vendor != "sqlite":
    print(json.dumps({"engine": db["ENGINE"], "options": {k: str(v) for k, v in db["OPTIONS"].items()},
                      "conn_max_age": db["CONN_MAX_AGE"], "health_checks": db["CONN_HEALTH_CHECKS"]}))
    raise SystemExit
with connection.cursor() as cursor:
    pragmas = {name: cursor.execute(f"PRAGMA {name}").fetchone()[0]
               for name in ("journal_mode", "synchronous", "busy_timeout")}
with transaction.atomic():
    # IMMEDIATE: the write lock is taken at BEGIN, before any write, so another writer is refused.
    other = sqlite3.connect(db["NAME"], timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        write_lock_taken = False
    except sqlite3.OperationalError:
        write_lock_taken = True
    other.close()
print(json.dumps({"pragmas": pragmas, "transaction_mode": db["OPTIONS"]["transaction_mode"],
                  "conn_max_age": db["CONN_MAX_AGE"], "write_lock_at_begin": write_lock_taken}))
"""


def probe(env: dict) -> dict:
    base = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "attendance_project.settings.production", "DEBUG": "1"}
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env={**base, **env}, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("source", ["DATABASE_URL", "SQLITE_PATH"])
def test_a_sqlite_file_is_tuned_whether_a_url_or_a_path_names_it(tmp_path, source):
    path = tmp_path / "school.sqlite3"
    env = {"DATABASE_URL": f"sqlite:///{path}"} if source == "DATABASE_URL" else {"SQLITE_PATH": str(path)}
    values = probe({**env, "SQLITE_TIMEOUT": "7"})
    assert values["pragmas"] == {"journal_mode": "wal", "synchronous": 1, "busy_timeout": 7000}
    assert values["transaction_mode"] == "IMMEDIATE"
    assert values["write_lock_at_begin"] is True
    assert values["conn_max_age"] == 600
    assert path.exists()


def test_postgres_url_gets_a_bounded_checked_pool_and_no_persistent_connections():
    values = probe(
        {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/attendance", "DB_POOL_MAX": "4", "DB_POOL_MIN": "1"}
    )
    assert values["engine"] == "django.db.backends.postgresql"
    pool = values["options"]["pool"]
    assert "'max_size': 4" in pool and "'min_size': 1" in pool
    assert values["conn_max_age"] == 0 and values["health_checks"] is True


def test_pool_max_zero_turns_the_pool_off():
    values = probe({"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/attendance", "DB_POOL_MAX": "0"})
    assert "pool" not in values["options"]
    assert values["conn_max_age"] == 0


def test_pool_minimum_never_exceeds_its_maximum():
    values = probe({"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/attendance", "DB_POOL_MAX": "1"})
    assert "'min_size': 1" in values["options"]["pool"]
