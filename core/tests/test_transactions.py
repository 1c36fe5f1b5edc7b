"""The one `atomic()`: Django's on SQL, the backend's own on MongoDB, retried on write conflicts."""

from contextlib import contextmanager

import pytest
from django.db import DatabaseError, IntegrityError, connections
from django.db import transaction as django_transaction
from django_mongodb_backend import transaction as mongo_transaction
from pymongo.errors import DuplicateKeyError, OperationFailure

from accounts.models import User
from core import transactions
from core.transactions import MongoAtomic, atomic, is_transient, on_commit, run_atomic
from tests import factories


@pytest.fixture
def as_mongodb(monkeypatch):
    """Make the default connection report the MongoDB vendor (no server needed)."""
    monkeypatch.setattr(connections["default"], "vendor", "mongodb")


@pytest.fixture
def as_sql(monkeypatch):
    monkeypatch.setattr(connections["default"], "vendor", "sqlite")


@pytest.fixture
def blocks(monkeypatch):
    """Record the atomic blocks run_atomic opens instead of opening real ones."""
    log: list[str] = []

    @contextmanager
    def recording_atomic(using):
        log.append("begin")
        try:
            yield
        except BaseException:
            log.append("rollback")
            raise
        log.append("commit")

    monkeypatch.setattr(transactions, "atomic", recording_atomic)
    monkeypatch.setattr(transactions.time, "sleep", lambda seconds: None)
    return log


@pytest.fixture
def mongo_connection(as_mongodb, monkeypatch):
    """The default connection driven the way django_mongodb_backend drives its session."""
    conn = connections["default"]
    state = {"commit_error": None, "log": []}

    class Session:
        def end_session(self):
            state["log"].append("end")

    def start_transaction_mongo():
        if conn.session is None:
            conn.session = Session()
            state["log"].append("start")

    def commit_mongo():
        # As the backend: an error from commitTransaction leaves before the session is ended.
        if state["commit_error"] is not None:
            error, state["commit_error"] = state["commit_error"], None
            raise error
        conn._end_session()
        conn.run_on_commit = []

    def end_session():
        conn.session.end_session()
        conn.session = None

    for name, value in {
        "session": None,
        "in_atomic_block_mongo": False,
        "nested_atomics": 0,
        "start_transaction_mongo": start_transaction_mongo,
        "commit_mongo": commit_mongo,
        "rollback_mongo": lambda: state["log"].append("rollback"),
        "_end_session": end_session,
    }.items():
        monkeypatch.setattr(conn, name, value, raising=False)
    return conn, state


def write_conflict() -> DatabaseError:
    """What the MongoDB backend raises when a transaction loses a write conflict."""
    cause = OperationFailure(
        "WriteConflict error",
        112,
        {"code": 112, "errmsg": "WriteConflict error", "errorLabels": ["TransientTransactionError"]},
    )
    try:
        raise DatabaseError from cause
    except DatabaseError as exc:
        return exc


def duplicate_key() -> IntegrityError:
    cause = DuplicateKeyError("E11000 duplicate key error", 11000, {"code": 11000})
    try:
        raise IntegrityError from cause
    except IntegrityError as exc:
        return exc


def failing(errors: list[BaseException], result: str = "done"):
    """Return a callable that raises the given errors in turn, then returns `result`."""
    calls = []

    def func():
        calls.append(1)
        if len(calls) <= len(errors):
            raise errors[len(calls) - 1]
        return result

    func.calls = calls
    return func


# Which atomic ----------------------------------------------------------------------


def test_sql_gets_djangos_atomic(as_sql):
    block = atomic()
    assert isinstance(block, django_transaction.Atomic)
    assert block.using == "default"


def test_mongodb_gets_the_backends_atomic(as_mongodb):
    block = atomic()
    assert isinstance(block, MongoAtomic)
    assert isinstance(block.block, mongo_transaction.Atomic)
    assert block.block.using == "default"


def test_on_commit_goes_through_the_mongodb_backend_there(as_mongodb, monkeypatch):
    registered = []
    monkeypatch.setattr(mongo_transaction, "on_commit", lambda func, using: registered.append((func, using)))
    callback = object
    on_commit(callback)
    assert registered == [(callback, "default")]


# Real transactions on the configured database ------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_an_error_inside_atomic_rolls_every_write_back():
    with pytest.raises(RuntimeError), atomic():
        factories.make_teacher(email="first@school.test")
        factories.make_student(email="second@school.test")
        raise RuntimeError("boom")
    assert not User.objects.filter(email__in=["first@school.test", "second@school.test"]).exists()


@pytest.mark.django_db(transaction=True)
def test_writes_inside_atomic_are_kept_when_it_ends_normally():
    with atomic():
        factories.make_teacher(email="kept@school.test")
    assert User.objects.filter(email="kept@school.test").exists()


@pytest.mark.django_db(transaction=True)
def test_on_commit_waits_for_the_commit_and_is_dropped_on_rollback():
    ran = []
    with atomic():
        on_commit(lambda: ran.append("committed"))
        assert ran == []
    assert ran == ["committed"]
    with pytest.raises(RuntimeError), atomic():
        on_commit(lambda: ran.append("rolled back"))
        raise RuntimeError("boom")
    assert ran == ["committed"]


@pytest.mark.django_db(transaction=True)
def test_run_atomic_returns_the_result_and_rolls_back_on_error():
    user = run_atomic(lambda: factories.make_teacher(email="made@school.test"))
    assert User.objects.get(email="made@school.test") == user

    def half_done():
        factories.make_teacher(email="half@school.test")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        run_atomic(half_done)
    assert not User.objects.filter(email="half@school.test").exists()


# Retrying write conflicts ----------------------------------------------------------------


def test_a_mongodb_write_conflict_is_retried_in_a_fresh_block(as_mongodb, blocks):
    func = failing([write_conflict(), write_conflict()])
    assert run_atomic(func) == "done"
    assert len(func.calls) == 3
    assert blocks == ["begin", "rollback", "begin", "rollback", "begin", "commit"]


def test_retries_stop_after_the_last_attempt(as_mongodb, blocks):
    conflicts = [write_conflict() for _ in range(3)]
    func = failing(conflicts)
    with pytest.raises(DatabaseError) as raised:
        run_atomic(func, attempts=3)
    assert raised.value is conflicts[-1]
    assert len(func.calls) == 3


@pytest.mark.parametrize(
    "error", [duplicate_key(), DatabaseError("disk full"), ValueError("bad")], ids=["duplicate", "db", "other"]
)
def test_errors_that_are_not_write_conflicts_are_not_retried(as_mongodb, blocks, error):
    func = failing([error])
    with pytest.raises(type(error)):
        run_atomic(func)
    assert len(func.calls) == 1


def test_sql_databases_never_retry(as_sql, blocks):
    func = failing([write_conflict()])
    with pytest.raises(DatabaseError):
        run_atomic(func)
    assert len(func.calls) == 1


def test_a_block_inside_an_open_mongodb_transaction_is_not_retried(as_mongodb, blocks, monkeypatch):
    # Only the outermost block can run again: the enclosing transaction is already aborted.
    monkeypatch.setattr(connections["default"], "in_atomic_block_mongo", True, raising=False)
    func = failing([write_conflict()])
    with pytest.raises(DatabaseError):
        run_atomic(func)
    assert len(func.calls) == 1


def test_is_transient_follows_the_cause_chain():
    assert is_transient(write_conflict())
    assert is_transient(write_conflict().__cause__)
    assert not is_transient(duplicate_key())
    assert not is_transient(DatabaseError("plain"))
    assert not is_transient(None)


def test_a_failed_mongodb_commit_is_a_database_error_and_frees_the_session(mongo_connection):
    conn, state = mongo_connection
    state["commit_error"] = write_conflict().__cause__
    with pytest.raises(DatabaseError) as raised, atomic():
        conn.run_on_commit.append(([], lambda: state["log"].append("callback"), False))
    assert is_transient(raised.value)  # MongoDB's labels survive for run_atomic()
    assert conn.session is None
    assert conn.run_on_commit == []
    with atomic():
        pass
    # The next block starts a transaction of its own instead of reusing the failed session.
    assert state["log"] == ["start", "end", "start", "end"]


def test_run_atomic_retries_a_transient_commit_failure(mongo_connection, monkeypatch):
    _, state = mongo_connection
    monkeypatch.setattr(transactions.time, "sleep", lambda seconds: None)
    state["commit_error"] = write_conflict().__cause__
    func = failing([])
    assert run_atomic(func) == "done"
    assert len(func.calls) == 2
    assert state["log"] == ["start", "end", "start", "end"]
