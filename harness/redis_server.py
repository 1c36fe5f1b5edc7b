"""A private redis-server on a free port: never the machine's shared one.

Redis pub/sub channels are not scoped by database number, so a class "class.1" on a shared
Redis would hear the broadcasts of any other server's class 1 on the same machine; a private
server also lets a test kill and restart Redis at will. No persistence and no forking: a
restart starts empty, as a crashed container does.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from harness.processes import free_port, kill_process, stop_process

PRIVATE = ("--save", "", "--appendonly", "no", "--daemonize", "no", "--maxclients", "10000")


def flush_redis(url: str) -> None:
    """Empty the database at `url`, so that no earlier server's presence entries linger."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


class RedisServerMissing(RuntimeError):
    """No redis-server binary on PATH."""


class RedisServer:
    """redis-server on a fixed free port, its log in `directory` (a temporary one if None)."""

    def __init__(self, directory: Path | None = None) -> None:
        self._own_directory = directory is None
        self.directory = directory
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10) -> RedisServer:
        """Start it (again, on the same port after `kill()`) and return once it answers PING."""
        binary = shutil.which("redis-server")
        if binary is None:
            raise RedisServerMissing("no redis-server binary (apt-get install redis-server)")
        if self.directory is None:
            self.directory = Path(tempfile.mkdtemp(prefix="redis-"))
        self.directory.mkdir(parents=True, exist_ok=True)
        log = open(self.directory / "redis.log", "ab")  # noqa: SIM115 - stays open for the child's lifetime
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory), *PRIVATE],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        import redis

        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError((self.directory / "redis.log").read_text(errors="replace")[-2000:])
                try:
                    client.ping()
                    return self
                except redis.RedisError:
                    time.sleep(0.05)
        finally:
            client.close()
        raise RuntimeError(f"redis-server did not answer on port {self.port} within {timeout}s")

    def version(self) -> str:
        import redis

        client = redis.Redis.from_url(self.url)
        try:
            return str(client.info("server")["redis_version"])
        finally:
            client.close()

    def kill(self) -> None:
        """SIGKILL: no shutdown, every connection dropped, every key gone."""
        kill_process(self.proc)

    def stop(self) -> None:
        """Shut it down and remove the temporary directory it was given."""
        stop_process(self.proc)
        if self._own_directory and self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
