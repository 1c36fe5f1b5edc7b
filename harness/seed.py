"""Fill a server's database: a teacher, a class of token-only students, optionally a session."""

from __future__ import annotations

import json
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
