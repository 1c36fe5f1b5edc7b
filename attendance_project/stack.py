"""Run the production topology on one machine, without Docker: Caddy in front of N workers.

    python -m attendance_project.stack --workers 3 --port 3000      (or: make stack WORKERS=3)

Redis: REDIS_URL if set, else a Redis answering on 127.0.0.1:6379, else a private
redis-server started here. Database: MONGO_URI or DATABASE_URL if set, else one SQLite file
(SQLITE_PATH, default .stack/db.sqlite3) shared by every worker. Workers run with DEBUG off on
free loopback ports; Caddy (docker/Caddyfile, the compose proxy's configuration) listens on
--host:--port. Without JWT_SECRET, a secret is generated once and kept in .stack/. Ctrl-C
stops everything this started.
"""

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CADDYFILE = ROOT / "docker" / "Caddyfile"


class StackError(RuntimeError):
    """The stack could not start; the message says what is missing."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def wait_until(check, *, timeout: float, what: str, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise StackError(f"{what} exited with status {process.returncode}")
        if check():
            return
        time.sleep(0.1)
    raise StackError(f"{what} did not come up within {timeout:.0f}s")


def answers_http(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1):
            return True
    except OSError:
        return False


class Stack:
    """Redis (if needed), N Daphne workers and Caddy; `stop()` ends what `start()` started."""

    def __init__(
        self,
        *,
        workers: int,
        port: int,
        host: str = "127.0.0.1",
        state_dir: Path = ROOT / ".stack",
        env: dict | None = None,
    ):
        if workers < 1:
            raise StackError("--workers must be at least 1")
        self.workers = workers
        self.port = port
        self.host = host
        self.state_dir = Path(state_dir)
        self.env = {**os.environ, **(env or {})}
        self.worker_ports: list[int] = []
        self.worker_processes: list[subprocess.Popen] = []
        self.processes: list[subprocess.Popen] = []
        self.running_env: dict | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _spawn(self, name: str, args: list[str], env: dict) -> subprocess.Popen:
        log = open(self.state_dir / f"{name}.log", "ab")  # noqa: SIM115 - stays open for the child's lifetime
        process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def _redis_url(self) -> str:
        if self.env.get("REDIS_URL"):
            return self.env["REDIS_URL"]
        if redis_answers("127.0.0.1", 6379):
            return "redis://127.0.0.1:6379/0"
        server = shutil.which("redis-server")
        if not server:
            raise StackError("no Redis on 127.0.0.1:6379 and no redis-server to start (apt-get install redis-server)")
        port = free_port()
        args = [server, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"]
        process = self._spawn("redis", args, self.env)
        wait_until(lambda: redis_answers("127.0.0.1", port), timeout=10, what="redis-server", process=process)
        return f"redis://127.0.0.1:{port}/0"

    def _jwt_secret(self) -> str:
        if self.env.get("JWT_SECRET"):
            return self.env["JWT_SECRET"]
        path = self.state_dir / "jwt-secret"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(50))
            path.chmod(0o600)
        return path.read_text().strip()

    def worker_env(self) -> dict:
        env = {
            **self.env,
            "DEBUG": "0",
            # As deployed, whatever settings module the caller runs under (pytest selects the test one).
            "DJANGO_SETTINGS_MODULE": "attendance_project.settings.production",
            "JWT_SECRET": self._jwt_secret(),
            "ALLOWED_HOSTS": self.env.get("ALLOWED_HOSTS") or f"{self.host},localhost,127.0.0.1",
            # Caddy on this host forwards the client's address; believe it from loopback only.
            "TRUSTED_PROXIES": self.env.get("TRUSTED_PROXIES") or "127.0.0.1,::1",
        }
        if not (env.get("MONGO_URI") or env.get("DATABASE_URL")):
            env.setdefault("SQLITE_PATH", str(self.state_dir / "db.sqlite3"))
        return env

    def start(self) -> "Stack":
        caddy = shutil.which("caddy")
        if not caddy:
            raise StackError("caddy is not installed (apt-get install caddy)")
        self.state_dir.mkdir(parents=True, exist_ok=True)
        try:
            env = self.running_env = {**self.worker_env(), "REDIS_URL": self._redis_url()}
            manage = [sys.executable, "manage.py"]
            subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
            # Once here, rather than by every worker at once.
            subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
            self.worker_ports = [free_port() for _ in range(self.workers)]
            for index, port in enumerate(self.worker_ports):
                args = [sys.executable, "-m", "attendance_project.serve", "-b", "127.0.0.1", "-p", str(port)]
                args += ["--proxy-headers", "attendance_project.asgi:application"]
                process = self._spawn(f"worker-{index}", args, env)
                self.worker_processes.append(process)
                url = f"http://127.0.0.1:{port}/healthz"
                wait_until(lambda url=url: answers_http(url), timeout=60, what=f"worker {index}", process=process)
            upstreams = " ".join(f"127.0.0.1:{port}" for port in self.worker_ports)
            proxy_env = {
                **self.env,
                "SITE_ADDRESS": f":{self.port}",
                "PROXY_BIND": self.host,
                "WEB_UPSTREAMS": f"to {upstreams}",
                # Caddy's own files (certificates, autosaved configuration) stay in the state directory.
                "XDG_DATA_HOME": str(self.state_dir / "caddy"),
                "XDG_CONFIG_HOME": str(self.state_dir / "caddy"),
            }
            process = self._spawn(
                "caddy", [caddy, "run", "--config", str(CADDYFILE), "--adapter", "caddyfile"], proxy_env
            )
            wait_until(lambda: answers_http(self.url + "/healthz"), timeout=20, what="caddy", process=process)
        except BaseException:
            self.stop()
            raise
        return self

    def manage(self, *args: str) -> str:
        """Run `manage.py <args>` with the workers' settings and database; return its output."""
        if self.running_env is None:
            raise StackError("the stack is not started")
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.running_env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    def stop_worker(self, index: int) -> None:
        """SIGKILL one worker, as in a crash."""
        worker = self.worker_processes[index]
        worker.kill()
        worker.wait(10)

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        self.processes.clear()
        self.worker_processes.clear()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=3, help="Daphne workers behind the proxy (default 3)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")), help="proxy port")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"), help="proxy address")
    options = parser.parse_args(argv)
    stack = Stack(workers=options.workers, port=options.port, host=options.host)
    try:
        stack.start()
    except StackError as error:
        print(f"stack: {error}; logs in {stack.state_dir}", file=sys.stderr)
        return 1
    ports = ", ".join(str(port) for port in stack.worker_ports)
    print(f"stack: {stack.url} -> {options.workers} workers on 127.0.0.1 ports {ports}; logs in {stack.state_dir}")
    print("stack: Ctrl-C stops everything")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while all(process.poll() is None for process in stack.processes):
            time.sleep(0.5)
        print("stack: a process exited; stopping the rest", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
