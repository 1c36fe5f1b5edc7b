"""Pytest plugin for `make mutate`: every test run starts with a database and a worker thread of its own.

The mutation tool runs the tests several times in one process and then in children forked
from it. Each of those runs inherits the settings' per-process SQLite file name, and asgiref's
one worker thread for sync code (with that thread's open database connection): a forked child
has the executor but not its thread, so sync_to_async would wait forever. Both are renewed here.
"""

import os
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import SyncToAsync
from django.conf import settings


def pytest_configure(config) -> None:
    SyncToAsync.single_thread_executor = ThreadPoolExecutor(max_workers=1)
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        name = f"attendance-mutant-{os.getpid()}-{uuid.uuid4().hex}.sqlite3"
        database.setdefault("TEST", {})["NAME"] = os.path.join(tempfile.gettempdir(), name)
