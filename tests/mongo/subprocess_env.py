"""Run manage.py or Python in a child process with the settings' MongoDB environment."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent

# Nothing listens here: anything that tries to reach this "server" fails fast.
UNREACHABLE_URI = "mongodb://127.0.0.1:9/attendance?serverSelectionTimeoutMS=200&connectTimeoutMS=200"

_DATABASE_VARIABLES = ("MONGO_URI", "MONGO_OFFLINE", "MONGO_DB_NAME", "DATABASE_URL", "SQLITE_PATH")


def child_env(**variables: str) -> dict[str, str]:
    """Return this process's environment minus every database choice, plus `variables`."""
    env = {key: value for key, value in os.environ.items() if key not in _DATABASE_VARIABLES}
    env.update(DJANGO_SETTINGS_MODULE="attendance_project.settings.production", DEBUG="1", **variables)
    return env


def run(args: list[str], **variables: str) -> subprocess.CompletedProcess:
    """Run `python <args>` from the project root; never raises on a non-zero exit."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=child_env(**variables),
        capture_output=True,
        text=True,
        timeout=120,
    )
