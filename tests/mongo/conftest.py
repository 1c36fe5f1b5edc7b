"""Every test here runs on the MongoDB replica set MONGO_URI names (pytest-django's test database)."""

import pytest
from django.db import connection


@pytest.fixture(autouse=True)
def _on_a_mongodb_replica_set(request):
    if "mongodb" not in request.keywords:
        return
    request.getfixturevalue("transactional_db")
    assert connection.vendor == "mongodb", (
        f"MONGO_URI is set but the database is {connection.vendor}: unset MONGO_OFFLINE to run MongoDB tests"
    )
    # Every multi-write service runs in a transaction; a standalone server cannot run one.
    assert connection.features._supports_transactions, "MONGO_URI must name a replica set (?replicaSet=...)"
