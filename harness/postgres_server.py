"""A private PostgreSQL server on a free port, from the `postgresql` package's binaries.

Never the machine's shared cluster: a test stops and restarts this one mid-marking. PostgreSQL
refuses to run as root, so under root the cluster belongs to the `postgres` system user (the
package creates it) and lives in a directory of its own outside the test's private tmp tree.
Durability is off (`fsync=off`): the tests restart the server, they never crash the machine.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from harness.processes import free_port, kill_process

INITDB_OPTIONS = ("-E", "UTF8", "--no-sync", "--no-instructions")
SERVER_OPTIONS = (
    "-c",
    "listen_addresses=127.0.0.1",
    "-c",
    "fsync=off",
    "-c",
    "synchronous_commit=off",
    "-c",
    "full_page_writes=off",
)


class PostgresMissing(RuntimeError):
    """No PostgreSQL server binaries on this machine."""


def binaries() -> Path:
    """The directory holding initdb and postgres (the newest installed version)."""
    found = shutil.which("initdb")
    if found and os.path.exists(os.path.join(os.path.dirname(os.path.realpath(found)), "postgres")):
        return Path(os.path.realpath(found)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=_version)
    if not candidates:
        raise PostgresMissing("no PostgreSQL server binaries (apt-get install postgresql)")
    return Path(candidates[-1]).parent


def _version(path: str) -> float:
    try:
        return float(Path(path).parent.parent.name)
    except ValueError:
        return 0.0


class PostgresServer:
    """initdb, then `postgres` on 127.0.0.1:`port` with trust auth; stop and start it at will."""

    def __init__(self, database: str = "attendance") -> None:
        self.database = database
        self.port = free_port()
        self.bin = binaries()
        self.directory = Path(tempfile.mkdtemp(prefix="pg-"))
        self.data = self.directory / "data"
        self.proc: subprocess.Popen[bytes] | None = None
        self._user = None
        if os.geteuid() == 0:
            self._user = pwd.getpwnam("postgres")
            os.chown(self.directory, self._user.pw_uid, self._user.pw_gid)

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{self.database}"

    def _run_as(self) -> dict:
        if self._user is None:
            return {}
        return {"user": self._user.pw_uid, "group": self._user.pw_gid, "extra_groups": []}

    def create(self) -> PostgresServer:
        """Make the cluster, start it and create the database."""
        subprocess.run(
            [str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", *INITDB_OPTIONS],
            check=True,
            capture_output=True,
            **self._run_as(),
        )
        self.start()
        import psycopg

        with psycopg.connect(self.url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{self.database}"')
        return self

    def start(self, timeout: float = 30) -> None:
        """Start the server (again, on the same port) and return once it accepts connections."""
        log = open(self.directory / "postgres.log", "ab")  # noqa: SIM115 - stays open for the child's lifetime
        self.proc = subprocess.Popen(
            [
                str(self.bin / "postgres"),
                "-D",
                str(self.data),
                "-p",
                str(self.port),
                "-k",
                str(self.directory),
                *SERVER_OPTIONS,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **self._run_as(),
        )
        import psycopg

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(self.log())
            try:
                with psycopg.connect(self.url.rsplit("/", 1)[0] + "/postgres", connect_timeout=1):
                    return
            except psycopg.OperationalError:
                time.sleep(0.1)
        raise RuntimeError(f"postgres did not accept connections within {timeout}s:\n{self.log()}")

    def stop(self, timeout: float = 30) -> None:
        """Fast shutdown (as a service restart does): every session is ended, then the server exits."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            kill_process(self.proc)

    def remove(self) -> None:
        """Stop the server and delete its cluster."""
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    def log(self) -> str:
        try:
            return (self.directory / "postgres.log").read_text(errors="replace")[-3000:]
        except OSError:
            return ""
