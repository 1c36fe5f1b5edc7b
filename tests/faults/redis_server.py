"""A private redis-server for fault tests: killed and restarted at will, never the shared one."""

import shutil
import subprocess
import time
from pathlib import Path

from tests.server import free_port
from tests.services import _missing

# No persistence and no forking: a restart starts empty, as a crashed container does.
PRIVATE = ("--save", "", "--appendonly", "no", "--daemonize", "no")


class RedisServer:
    """redis-server on a fixed free port, its files in one directory, nothing saved to disk."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10) -> "RedisServer":
        binary = shutil.which("redis-server")
        if binary is None:
            _missing("REQUIRE_REDIS", "no redis-server binary (apt-get install redis-server)")
        self.directory.mkdir(parents=True, exist_ok=True)
        log = open(self.directory / "redis.log", "ab")  # noqa: SIM115 - stays open for the child's lifetime
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory), *PRIVATE],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        import redis

        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError((self.directory / "redis.log").read_text(errors="replace")[-2000:])
            try:
                client.ping()
                return self
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not answer on port {self.port} within {timeout}s")

    def kill(self) -> None:
        """SIGKILL: no shutdown, every connection dropped, every key gone."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
