"""One `atomic` for every multi-write service, real on SQL and on a MongoDB replica set."""

from contextlib import AbstractContextManager

from django.db import DEFAULT_DB_ALIAS, connections, transaction


def atomic(using: str = DEFAULT_DB_ALIAS) -> AbstractContextManager:
    """Return the transaction context of the configured backend."""
    if connections[using].vendor == "mongodb":
        # Django's atomic is a no-op on MongoDB; the backend's own needs a replica set.
        from django_mongodb_backend import transaction as mongo_transaction

        return mongo_transaction.atomic(using)
    return transaction.atomic(using=using)


def on_commit(func, using: str = DEFAULT_DB_ALIAS) -> None:
    """Run `func` once the surrounding transaction commits (at once outside one)."""
    if connections[using].vendor == "mongodb":
        from django_mongodb_backend import transaction as mongo_transaction

        mongo_transaction.on_commit(func, using=using)
    else:
        transaction.on_commit(func, using=using)
