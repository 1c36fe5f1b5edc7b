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
