"""`manage.py dbinfo`: which database the settings selected, and whether transactions are real."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from tests.mongo.subprocess_env import UNREACHABLE_URI, run

# dbinfo twice, the backend's replica-set probe answered without a server: yes, then no.
DBINFO_WITH_PROBE = """
import django
from django.core.management import call_command
from django_mongodb_backend.features import DatabaseFeatures

django.setup()
for answer in (True, False):
    DatabaseFeatures._supports_transactions = property(lambda self, answer=answer: answer)
    call_command("dbinfo")
"""


@pytest.mark.django_db
def test_dbinfo_names_the_configured_database():
    out = StringIO()
    call_command("dbinfo", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == f"engine: {connection.settings_dict['ENGINE']}"
    assert lines[1] == f"database: {connection.settings_dict['NAME']}"
    # SQLite here; a MongoDB replica set when the suite runs with MONGO_URI.
    assert lines[2].startswith("transactions: real (")


def test_dbinfo_offline_reports_mongodb_without_contacting_a_server():
    result = run(["manage.py", "dbinfo"], MONGO_URI=UNREACHABLE_URI, MONGO_OFFLINE="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "engine: django_mongodb_backend (offline: django.db.backends.dummy, no server contacted)",
        "database: attendance",
        "transactions: unknown (MONGO_OFFLINE=1)",
    ]


def test_dbinfo_on_mongodb_says_whether_transactions_are_real():
    result = run(["-c", DBINFO_WITH_PROBE], MONGO_URI="mongodb://mongo:27017/attendance?replicaSet=rs0")
    assert result.returncode == 0, result.stderr
    replica_set, standalone = result.stdout.splitlines()[:3], result.stdout.splitlines()[3:]
    for lines in (replica_set, standalone):
        assert lines[:2] == ["engine: django_mongodb_backend", "database: attendance"]
    assert replica_set[2] == "transactions: real (MongoDB replica set or sharded cluster)"
    assert standalone[2].startswith("transactions: none: a standalone MongoDB server")


def test_dbinfo_fails_clearly_when_mongodb_is_unreachable():
    result = run(["manage.py", "dbinfo"], MONGO_URI=UNREACHABLE_URI)
    assert result.returncode == 1
    assert result.stdout.splitlines() == ["engine: django_mongodb_backend", "database: attendance"]
    assert "cannot reach MongoDB" in result.stderr
