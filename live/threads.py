"""Where the WebSocket side runs ORM work: reads on a pool, the live path's writes on one thread."""

import threading
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.db import DatabaseError, connection


def in_thread(func):
    """Run ORM work on a pool thread rather than Channels' one shared thread.

    With the shared thread, one DONE waiting on a locked database holds up every other
    socket of the worker; on a pool, only its own socket waits (each socket still handles
    its frames one at a time, in order).
    """
    return database_sync_to_async(func, thread_sensitive=False)


_writer: ThreadPoolExecutor | None = None
_writer_lock = threading.Lock()


def writer() -> ThreadPoolExecutor:
    """This process's one writer thread, with the executor's queue in front of it."""
    global _writer
    with _writer_lock:
        if _writer is None:
            _writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="live-writer")
        return _writer


def in_writer(func):
    """Run a write of the live path (a mark, DONE) on this process's writer thread, in arrival order.

    Pool threads writing at once fight over SQLite's single write lock: SQLite keeps no queue,
    so they sleep in its busy handler while the lock is often free, and the tail of a busy
    school grows to seconds. One writer per process takes the writes in order, each straight
    after the last, and keeps one connection (SQLite's persistent one, or one held from the
    PostgreSQL pool) instead of a pool check per write. Between workers the database still
    arbitrates: SQLite's busy timeout, PostgreSQL's row locks.
    """

    def run(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except Exception as exc:
            if _from_database(exc):
                # A broken connection must not stay with the writer: the next write opens a new one.
                connection.close()
            raise
        finally:
            if not _keeps_connection():
                connection.close()

    return sync_to_async(run, thread_sensitive=False, executor=writer())


def _keeps_connection() -> bool:
    """Whether the writer may hold its connection between writes (persistent, or taken from a pool)."""
    return bool(connection.settings_dict.get("CONN_MAX_AGE") or connection.settings_dict["OPTIONS"].get("pool"))


def _from_database(exc: BaseException | None) -> bool:
    """Whether an error is, or was raised from, a database error."""
    while exc is not None:
        if isinstance(exc, DatabaseError):
            return True
        exc = exc.__cause__
    return False
