"""Connection settings for the SQL databases, whatever the configuration came from.

`DATABASE_URL` (parsed by dj-database-url) and the embedded SQLite default end up here, so
a SQLite file gets the same tuning either way and PostgreSQL always gets a bounded pool.
"""

import os
import tempfile


def _env_number(name: str, default: str) -> float:
    return float(os.environ.get(name) or default)


def tune_sql_database(database: dict) -> dict:
    """Return `database` (a DATABASES entry) with this project's connection settings applied.

    SQLite: WAL journal, synchronous=NORMAL (one fsync per checkpoint instead of several per
    commit), IMMEDIATE transactions (writers queue on the busy timeout at BEGIN instead of
    failing with "database is locked" mid-transaction), the busy timeout SQLITE_TIMEOUT, and
    persistent connections: opening one per WebSocket event costs more than the query.

    PostgreSQL: Django's connection pool (psycopg-pool), at most DB_POOL_MAX connections per
    process, so N workers open at most N x DB_POOL_MAX however many threads serve requests;
    a connection is checked before it is handed out. DB_POOL_MAX=0 turns the pool off (for a
    server behind PgBouncer): a connection per request, closed at its end.
    """
    engine = database.get("ENGINE", "")
    options = database.setdefault("OPTIONS", {})
    if engine == "django.db.backends.sqlite3":
        options.setdefault("transaction_mode", "IMMEDIATE")
        options.setdefault("timeout", _env_number("SQLITE_TIMEOUT", "20"))
        options.setdefault("init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
        database["CONN_MAX_AGE"] = 600
        database["CONN_HEALTH_CHECKS"] = True
        # A file, not memory: concurrency tests need real locking between threads.
        # One per test process, so parallel runs never share it.
        database.setdefault("TEST", {}).setdefault(
            "NAME",
            os.environ.get("SQLITE_TEST_PATH")
            or os.path.join(tempfile.gettempdir(), f"attendance-test-{os.getpid()}.sqlite3"),
        )
    elif engine == "django.db.backends.postgresql":
        pool_max = int(_env_number("DB_POOL_MAX", "10"))
        if pool_max > 0:
            options["pool"] = {
                "min_size": min(int(_env_number("DB_POOL_MIN", "2")), pool_max),
                "max_size": pool_max,
                # Seconds a request waits for a free connection before it fails.
                "timeout": _env_number("DB_POOL_TIMEOUT", "10"),
            }
        # With the pool: the pool checks a connection before handing it out.
        database["CONN_HEALTH_CHECKS"] = True
        # The pool keeps the connections; Django refuses persistent connections with a pool.
        database["CONN_MAX_AGE"] = 0
    return database
