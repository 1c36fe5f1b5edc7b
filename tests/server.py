"""Run the real server (Daphne through attendance_project.serve) as a child process."""

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerProcess:
    """One Daphne worker on a free port; `restart()` keeps the port, database and Redis."""

    def __init__(
        self,
        *,
        database: Path,
        redis_url: str = "",
        port: int | None = None,
        env: dict | None = None,
        args: tuple[str, ...] = (),
    ):
        self.port = port or free_port()
        self.args = tuple(args)  # extra Daphne options, e.g. ("--ping-interval", "1")
        self.database = database
        self.env = {
            **os.environ,
            "JWT_SECRET": "test-server-secret-" + "x" * 32,
            "DEBUG": "0",
            "TESTING": "0",
            "SQLITE_PATH": str(database),
            "REDIS_URL": redis_url,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LOG_LEVEL": "WARNING",
            # Workers of one test share a database and so a prefix; other runs on the same Redis never hear them.
            "CHANNEL_LAYER_PREFIX": "test" + hashlib.sha1(str(database).encode()).hexdigest()[:12],
            **(env or {}),
        }
        # The SQLite file above is the database, whatever database the test run itself uses,
        # unless the test names another.
        for variable in ("MONGO_URI", "DATABASE_URL"):
            if variable not in (env or {}):
                self.env.pop(variable, None)
        self.proc: subprocess.Popen | None = None
        self.log_path = database.with_suffix(f".{self.port}.log")

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def migrate(self) -> None:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT,
            env=self.env,
            check=True,
        )

    def start(self, timeout: float = 30) -> "ServerProcess":
        log = open(self.log_path, "ab")  # noqa: SIM115 - stays open for the child's lifetime
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "attendance_project.serve",
                "-b",
                "127.0.0.1",
                "-p",
                str(self.port),
                *self.args,
                "attendance_project.asgi:application",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
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
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def restart(self) -> None:
        self.kill()
        self.start()

    def rss_kib(self) -> int:
        """Resident memory of the running server process, in KiB (Linux)."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS line")

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-5000:]
        except OSError:
            return ""
