"""Small process helpers: a free port, a process's memory, stopping a child."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_kib(pid: int) -> int:
    """Resident memory of a process, in KiB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS line for pid {pid}")


def kill_process(proc: subprocess.Popen | None) -> None:
    """SIGKILL a running child and reap it: no shutdown hooks, as in a crash."""
    if proc is not None and proc.poll() is None:
        proc.kill()
        proc.wait(10)


def stop_process(proc: subprocess.Popen | None, timeout: float = 10) -> None:
    """SIGTERM a running child, then SIGKILL if it has not exited within `timeout` seconds."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        kill_process(proc)
