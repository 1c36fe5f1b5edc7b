"""The project's real server as a child process: free port, environment, /healthz, memory."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from harness.processes import free_port, kill_process, rss_kib, stop_process

ROOT = Path(__file__).resolve().parent.parent
APPLICATION = "attendance_project.asgi:application"
# What the server process runs: never the test settings of the process that starts it.
SERVER_SETTINGS = "attendance_project.settings.production"


def server_env(*, database: Path, redis_url: str = "", **overrides: str) -> dict[str, str]:
    """The environment of a server on `database`: production settings, DEBUG off, a real secret."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": SERVER_SETTINGS,
        "JWT_SECRET": "test-server-secret-" + "x" * 32,
        "DEBUG": "0",
        "SQLITE_PATH": str(database),
        "REDIS_URL": redis_url,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        # Workers on one database share a prefix; other runs on the same Redis never hear them.
        "CHANNEL_LAYER_PREFIX": "test" + hashlib.sha1(str(database).encode()).hexdigest()[:12],
        **overrides,
    }
    # The SQLite file above is the database, whatever database the test run itself uses,
    # unless the caller names another.
    for name in ("MONGO_URI", "DATABASE_URL"):
        if name not in overrides:
            env.pop(name, None)
    return env


class ServerProcess:
    """One worker of the project on a free port; `restart()` keeps the port, database and Redis.

    `args` are extra Daphne options, e.g. ("--ping-interval", "1"); `env` overrides the
    environment of `server_env()`. The log goes to a file next to the database.
    """

    def __init__(
        self,
        *,
        database: Path,
        redis_url: str = "",
        port: int | None = None,
        env: dict[str, str] | None = None,
        args: tuple[str, ...] = (),
    ) -> None:
        self.port = port or free_port()
        self.args = tuple(args)
        self.database = database
        self.env = server_env(database=database, redis_url=redis_url, **(env or {}))
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = database.with_suffix(f".{self.port}.log")

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise RuntimeError("the server is not started")
        return self.proc.pid

    def manage(self, *args: str) -> str:
        """Run `manage.py <args>` on this server's database and settings; return its output."""
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, check=True, capture_output=True, text=True
        ).stdout

    def migrate(self) -> None:
        self.manage("migrate", "--noinput", "-v0")

    def command(self) -> list[str]:
        """The server's command line: the production launcher, as the Docker entrypoint runs it."""
        return [
            sys.executable,
            "-m",
            "attendance_project.serve",
            "-b",
            "127.0.0.1",
            "-p",
            str(self.port),
            *self.args,
            APPLICATION,
        ]

    def start(self, timeout: float = 30) -> ServerProcess:
        """Start the server and return once /healthz answers."""
        log = open(self.log_path, "ab")  # noqa: SIM115 - stays open for the child's lifetime
        self.proc = subprocess.Popen(
            self.command(), cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.http + "/healthz", timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"server did not answer within {timeout}s:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, as in a crash."""
        kill_process(self.proc)

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM, then SIGKILL if it does not exit within `timeout` seconds."""
        stop_process(self.proc, timeout)

    def restart(self) -> None:
        self.kill()
        self.start()

    def rss_kib(self) -> int:
        """Resident memory of the running server process, in KiB (Linux)."""
        return rss_kib(self.pid)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-5000:]
        except OSError:
            return ""
