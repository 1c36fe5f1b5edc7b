"""Start the servers under test as child processes: the project (Daphne or Uvicorn) and the reference.

The project runs in its production configuration: DEBUG off, a real JWT secret, the Redis
channel layer, its own temporary SQLite file. Redis is a private redis-server started for the
run on a free port (harness.redis_server.RedisServer), not the machine's shared one. Only
the per-socket message rate limit is lifted (see RATE_LIMIT_ENV): at its production value of
50 frames/s a single teacher could never send more than 50 marks/s, and the benchmark
measures the server, not that limit.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from harness.processes import free_port, stop_process
from harness.redis_server import flush_redis
from harness.seed import seed_class
from harness.server import APPLICATION, ROOT, ServerProcess

RATE_LIMIT_ENV = {"WS_RATE_LIMIT_PER_SECOND": "1000000", "WS_RATE_LIMIT_BURST": "1000000"}
UVICORN_LOG_CONFIG = Path(__file__).resolve().parent / "uvicorn_log.json"


class ProjectServer(ServerProcess):
    """One worker of the project's ASGI app, with a fresh database, on a free port.

    kind: "daphne" (the production launcher, attendance_project.serve, as the Docker entrypoint
    runs it), "uvicorn" (asyncio loop, h11) or "uvicorn-uvloop" (uvloop and httptools).
    """

    def __init__(self, kind: str, redis_url: str, workdir: Path | None = None) -> None:
        if kind != "daphne" and not kind.startswith("uvicorn"):
            raise ValueError(f"unknown server kind {kind!r}")
        self.kind = kind
        self.redis_url = redis_url
        self._own_dir = workdir is None
        self.dir = workdir or Path(tempfile.mkdtemp(prefix="bench-"))
        port = free_port()
        # The access log goes to stdout (the log file), as docker/entrypoint.sh runs it.
        super().__init__(
            database=self.dir / f"bench-{kind}-{port}.sqlite3",
            redis_url=redis_url,
            port=port,
            env=RATE_LIMIT_ENV,
            args=("--proxy-headers",),
        )

    def command(self) -> list[str]:
        """The server command line for this kind."""
        if self.kind == "daphne":
            return super().command()
        fast = self.kind == "uvicorn-uvloop"
        return [
            sys.executable,
            "-m",
            "uvicorn",
            APPLICATION,
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

    def start(self, timeout: float = 60) -> ProjectServer:
        """Flush Redis, migrate a fresh database and start the server; wait for /healthz."""
        flush_redis(self.redis_url)
        self.migrate()
        super().start(timeout)
        return self

    def seed(self, students: int, session: bool = True) -> dict[str, Any]:
        """Seed a class of token-only students in this server's database."""
        return seed_class(self, students, session=session)

    def stop(self, timeout: float = 15) -> None:
        """Stop the server (SIGTERM, then SIGKILL) and remove its files."""
        super().stop(timeout)
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
        stop_process(self.proc)

    def __enter__(self) -> ReferenceServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
