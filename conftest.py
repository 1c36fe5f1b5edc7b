"""Fixtures shared by the whole suite."""

import os

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests import factories

# A private redis-server a test may kill and restart (the fault suites' own), for every app's tests.
from tests.faults.conftest import private_redis  # noqa: F401

MONGODB_SKIP_REASON = "MONGO_URI is not set: MongoDB tests need a MongoDB replica set"


def pytest_collection_modifyitems(config, items):
    """Run the tests marked `mongodb` only when MONGO_URI names a server."""
    if os.environ.get("MONGO_URI"):
        return
    skip = pytest.mark.skip(reason=MONGODB_SKIP_REASON)
    for item in items:
        if "mongodb" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test databases; on PostgreSQL, the connections left open by threads go first.

    The live path's writer thread and the pools' threads keep their connections between tests,
    and PostgreSQL refuses to drop a database that has sessions: the drop at the end failed with
    "is being accessed by other users" and left the test database behind.
    """
    yield
    from django.db import connections

    with django_db_blocker.unblock():
        for connection in connections.all():
            if connection.vendor != "postgresql":
                continue
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )


@pytest.fixture(autouse=True)
def _clean_cache():
    # Login throttling and sessions live in the cache; tests must not see each other's.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api():
    """An unauthenticated API client speaking JSON."""
    return APIClient()


@pytest.fixture
def teacher(db):
    return factories.make_teacher()


@pytest.fixture
def student(db):
    return factories.make_student()


@pytest.fixture
def auth():
    """Return an API client authenticated as a user (raw token, as the original clients send)."""

    def _auth(user, bearer: bool = False) -> APIClient:
        client = APIClient()
        token = factories.token_for(user)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}" if bearer else token)
        return client

    return _auth
