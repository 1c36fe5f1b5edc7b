"""Where the WebSocket side runs ORM work."""

from channels.db import database_sync_to_async


def in_thread(func):
    """Run ORM work on a pool thread rather than Channels' one shared thread.

    With the shared thread, one DONE waiting on a locked database holds up every other
    socket of the worker; on a pool, only its own socket waits (each socket still handles
    its frames one at a time, in order).
    """
    return database_sync_to_async(func, thread_sensitive=False)
