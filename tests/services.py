"""Reach external services from tests: skip with a reason locally, fail in CI."""

import os
import shutil

import pytest

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def _missing(variable: str, reason: str):
    if os.environ.get(variable) == "1":
        pytest.fail(f"{reason} ({variable}=1 makes this a failure)")
    pytest.skip(reason)


def require_redis() -> str:
    """Return a Redis URL for tests (database 15, flushed), or skip/fail."""
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
        client.ping()
        client.flushdb()
    except Exception as exc:
        _missing("REQUIRE_REDIS", f"no Redis at {REDIS_URL}: {exc}")
    return REDIS_URL


def require_browser() -> str:
    """Return the Chromium path for Playwright, or skip/fail."""
    try:
        import playwright  # noqa: F401
    except ImportError:
        _missing("REQUIRE_BROWSER", "the playwright package is not installed")
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        _missing("REQUIRE_BROWSER", f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    return CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")


def require_caddy() -> str:
    """Return the path of the caddy binary (the proxy of the deployed stack), or skip/fail."""
    caddy = shutil.which("caddy")
    if not caddy:
        _missing("REQUIRE_PROXY", "caddy is not installed (apt-get install caddy)")
    return caddy


def require_postgres() -> str:
    """Return the URL of a PostgreSQL server's maintenance database, or skip/fail."""
    try:
        import psycopg

        with psycopg.connect(POSTGRES_URL, connect_timeout=2):
            pass
    except Exception as exc:
        _missing("REQUIRE_POSTGRES", f"no PostgreSQL at {POSTGRES_URL}: {exc}")
    return POSTGRES_URL
