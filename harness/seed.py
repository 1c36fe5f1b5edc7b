"""Fill a server's database: a teacher, a class of token-only students, optionally a session."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from harness.server import ServerProcess


def seed_class(server: ServerProcess, students: int, *, session: bool = True) -> dict[str, Any]:
    """Seed a class of N token-only students (manage.py loadtest_seed) in `server`'s database.

    Returns the command's JSON: the teacher's and each student's id and token, the class id
    and, with `session`, when the running session started.
    """
    args = ["loadtest_seed", "--students", str(students)]
    if not session:
        args.append("--no-session")
    return json.loads(server.manage(*args))


def seed_school(manage: Callable[..., str], classes: int, students: int) -> list[dict[str, Any]]:
    """Seed `classes` classes of `students` students, each with a running session.

    `manage` runs a manage.py command on the servers' database and returns its output
    (`ServerProcess.manage`, `Stack.manage`). Returns one seed_class() answer per class.
    """
    return [json.loads(manage("loadtest_seed", "--students", str(students))) for _ in range(classes)]
