"""Start the servers under test as child processes: the project (Daphne or Uvicorn) and the reference.

The project runs in its production configuration: DEBUG off, a real JWT secret, the Redis
channel layer, its own temporary SQLite file. Redis is a private redis-server started for the
run on a free port (RedisServer), not the machine's shared one: Redis pub/sub channels are not
scoped by database number, so a benchmark class "class.1" on a shared Redis would receive
(and send) the broadcasts of any other server's class 1 on the same machine. Only
the per-socket message rate limit is lifted (see RATE_LIMIT_ENV): at its production value of
50 frames/s a single teacher could never send more than 50 marks/s, and the benchmark
measures the server, not that limit.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RATE_LIMIT_ENV = {"WS_RATE_LIMIT_PER_SECOND": "1000000", "WS_RATE_LIMIT_BURST": "1000000"}
UVICORN_LOG_CONFIG = Path(__file__).resolve().parent / "uvicorn_log.json"


def free_port() -> int:
    """Return a TCP port that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def flush_redis(url: str) -> None:
    """Empty the benchmark's Redis database so no earlier server's presence entries linger."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


class RedisServer:
    """A private redis-server on a free port, without persistence, for one benchmark run."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        if not binary:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
        self.proc = subprocess.Popen(
            [
                binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--maxclients",
                "10000",
            ],
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        import redis

        deadline = time.monotonic() + 10
        while True:
            try:
                client = redis.Redis.from_url(self.url)
                client.ping()
                client.close()
                return self
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)

    def version(self) -> str:
        import redis

        client = redis.Redis.from_url(self.url)
        try:
            return str(client.info("server")["redis_version"])
        finally:
            client.close()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def rss_kib(pid: int) -> int:
    """Resident memory of a process, in KiB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


class ProjectServer:
    """One worker of the project's ASGI app, with a fresh database, on a free port.

    kind: "daphne" (the production launcher, attendance_project.serve, as the Docker entrypoint
    runs it), "uvicorn" (asyncio loop, h11) or "uvicorn-uvloop" (uvloop and httptools).
    """

    def __init__(self, kind: str, redis_url: str, workdir: Path | None = None) -> None:
        self.kind = kind
        self.redis_url = redis_url
        self.port = free_port()
        self._own_dir = workdir is None
        self.dir = workdir or Path(tempfile.mkdtemp(prefix="bench-"))
        self.database = self.dir / f"bench-{self.port}.sqlite3"
        self.log_path = self.dir / f"server-{kind}-{self.port}.log"
        self.env = {
            **os.environ,
            "JWT_SECRET": "bench-secret-" + "b" * 40,
            "DEBUG": "0",
            "TESTING": "0",
            "SQLITE_PATH": str(self.database),
            "REDIS_URL": redis_url,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LOG_LEVEL": "WARNING",
            **RATE_LIMIT_ENV,
        }
        for name in ("MONGO_URI", "DATABASE_URL", "DJANGO_SETTINGS_MODULE"):
            self.env.pop(name, None)
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def command(self) -> list[str]:
        """The server command line for this kind."""
        app = "attendance_project.asgi:application"
        if self.kind == "daphne":
            # As docker/entrypoint.sh runs it; the access log goes to stdout (our log file).
            return [
                sys.executable,
                "-m",
                "attendance_project.serve",
                "-b",
                "127.0.0.1",
                "-p",
                str(self.port),
                "--proxy-headers",
                app,
            ]
        if self.kind.startswith("uvicorn"):
            fast = self.kind == "uvicorn-uvloop"
            return [
                sys.executable,
                "-m",
                "uvicorn",
                app,
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--ws",
                "websockets",
                "--loop",
                "uvloop" if fast else "asyncio",
                "--http",
                "httptools" if fast else "h11",
                "--lifespan",
                "off",
                "--proxy-headers",
                # An access log like Daphne's, through the project's token-redacting filter.
                "--log-config",
                str(UVICORN_LOG_CONFIG),
            ]
        raise ValueError(f"unknown server kind {self.kind!r}")

    def start(self, timeout: float = 60) -> ProjectServer:
        """Flush Redis, migrate a fresh database and start the server; wait for /healthz."""
        flush_redis(self.redis_url)
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=self.env, check=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - stays open for the child's lifetime
        self.proc = subprocess.Popen(
            self.command(), cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} exited early:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.http + "/healthz", timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.kind} did not answer within {timeout}s:\n{self.log()}")

    def seed(self, students: int, session: bool = True) -> dict[str, Any]:
        """Seed a class of token-only students (manage.py loadtest_seed) in this server's database."""
        args = [sys.executable, "manage.py", "loadtest_seed", "--students", str(students)]
        if not session:
            args.append("--no-session")
        out = subprocess.run(args, cwd=ROOT, env=self.env, check=True, capture_output=True, text=True).stdout
        return json.loads(out)

    def rss_kib(self) -> int:
        return rss_kib(self.pid)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL) and remove its files."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self._own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> ProjectServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class ReferenceServer:
    """bench/reference_server.py on a free port."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[str] | None = None
        self.port = 0

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> ReferenceServer:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.reference_server", "--host", "127.0.0.1", "--port", "0"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("listening on "):
            self.proc.kill()
            raise RuntimeError(f"reference server did not start: {line!r}")
        self.port = int(line.split()[-1])
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def __enter__(self) -> ReferenceServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
