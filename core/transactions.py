"""One `atomic` for every multi-write service, real on SQL and on a MongoDB replica set."""

import random
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, ContextDecorator
from typing import TypeVar

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction

T = TypeVar("T")

# MongoDB's label for errors after which the whole transaction may simply be run again.
TRANSIENT_TRANSACTION_ERROR = "TransientTransactionError"


def atomic(using: str = DEFAULT_DB_ALIAS) -> AbstractContextManager:
    """Return the transaction context of the configured backend."""
    if connections[using].vendor == "mongodb":
        # Django's atomic is a no-op on MongoDB; the backend's own needs a replica set.
        return MongoAtomic(using)
    return transaction.atomic(using=using)


class MongoAtomic(ContextDecorator):
    """django_mongodb_backend's atomic(), with a failed commit made a clean DatabaseError.

    The backend lets an error from commitTransaction through as a raw pymongo error and
    keeps the connection's session: the next atomic() on that thread would then start no
    transaction at all. Here the session is dropped and the error becomes a DatabaseError
    (its cause keeps MongoDB's labels, so run_atomic() can retry a transient one).
    """

    def __init__(self, using: str = DEFAULT_DB_ALIAS) -> None:
        from django_mongodb_backend import transaction as mongo_transaction

        self.using = using
        self.block = mongo_transaction.atomic(using)

    def __enter__(self) -> None:
        self.block.__enter__()

    def __exit__(self, exc_type, exc_value, traceback) -> None:
        from pymongo.errors import PyMongoError

        connection = connections[self.using]
        try:
            self.block.__exit__(exc_type, exc_value, traceback)
        except PyMongoError as error:
            if not connection.in_atomic_block_mongo and connection.session is not None:
                connection._end_session()
                connection.run_on_commit = []
            raise DatabaseError(f"MongoDB transaction failed: {error}") from error


def on_commit(func, using: str = DEFAULT_DB_ALIAS) -> None:
    """Run `func` once the surrounding transaction commits (at once outside one)."""
    if connections[using].vendor == "mongodb":
        from django_mongodb_backend import transaction as mongo_transaction

        mongo_transaction.on_commit(func, using=using)
    else:
        transaction.on_commit(func, using=using)


def run_atomic(func: Callable[[], T], *, using: str = DEFAULT_DB_ALIAS, attempts: int = 5) -> T:
    """Run `func` in one `atomic()` block; on MongoDB, run it again after a write conflict.

    A SQL transaction that needs a row another one is writing waits for its lock. A MongoDB
    transaction is aborted at once instead (WriteConflict, labelled TransientTransactionError)
    and the backend's atomic() does not retry, so the block is retried here, from the
    start, a few times. Inside an enclosing MongoDB transaction nothing is retried: only
    the outermost block can be run again.
    """
    connection = connections[using]
    retry = connection.vendor == "mongodb" and not getattr(connection, "in_atomic_block_mongo", False)
    attempt = 1
    while True:
        try:
            with atomic(using):
                return func()
        except Exception as exc:
            if not retry or attempt >= attempts or not is_transient(exc):
                raise
        time.sleep(random.uniform(0, 0.005 * 2**attempt))  # spread the retries of racing writers
        attempt += 1


def is_transient(exc: BaseException | None) -> bool:
    """Tell whether an error, or an error it was raised from, says the transaction may be rerun."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        has_label = getattr(exc, "has_error_label", None)  # pymongo's PyMongoError
        if callable(has_label) and has_label(TRANSIENT_TRANSACTION_ERROR):
            return True
        exc = exc.__cause__ or exc.__context__
    return False
