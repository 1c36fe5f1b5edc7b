"""Cost of one password hash and of a burst of concurrent ones, for a Django Argon2 hasher.

Usage:
    python -m bench.argon2cost --hasher tuned --burst 20     # accounts.hashers (OWASP minimum)
    python -m bench.argon2cost --hasher django --burst 20    # Django's Argon2PasswordHasher

Run one hasher per process: peak memory is read from this process's VmHWM, reset between
phases through /proc/self/clear_refs. A login verifies one hash, which costs what encoding
one does (same parameters), so the burst is N threads each encoding once, released together,
as N concurrent logins are in Django under ASGI (one thread per request).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

HASHERS = {
    "tuned": "accounts.hashers.TunedArgon2PasswordHasher",
    "django": "django.contrib.auth.hashers.Argon2PasswordHasher",
}


def status_kib(field: str) -> int:
    """A VmRSS / VmHWM figure of this process, in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field}")


def reset_peak() -> None:
    """Make VmHWM start again from the current RSS (Linux >= 4.0)."""
    Path("/proc/self/clear_refs").write_text("5")


def measure(hasher_path: str, singles: int, burst: int) -> dict:
    """Time sequential hashes, then a burst of concurrent ones with its peak memory."""
    from django.utils.module_loading import import_string

    hasher = import_string(hasher_path)()
    password = "correct horse battery staple"
    hasher.encode(password, hasher.salt())  # load the library, first-use allocations
    times = []
    for _ in range(singles):
        t0 = time.perf_counter()
        encoded = hasher.encode(password, hasher.salt())
        times.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    assert hasher.verify(password, encoded)
    verify_s = time.perf_counter() - t0

    barrier = threading.Barrier(burst)
    done: list[float] = []

    def login() -> None:
        barrier.wait()
        t = time.perf_counter()
        hasher.encode(password, hasher.salt())
        done.append(time.perf_counter() - t)

    threads = [threading.Thread(target=login) for _ in range(burst)]
    base = status_kib("VmRSS")
    reset_peak()
    t0 = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - t0
    peak = status_kib("VmHWM")
    return {
        "hasher": hasher_path,
        "memory_cost_kib": hasher.memory_cost,
        "time_cost": hasher.time_cost,
        "parallelism": hasher.parallelism,
        "hash_ms_median": round(statistics.median(times) * 1000, 1),
        "verify_ms": round(verify_s * 1000, 1),
        "burst": burst,
        "burst_wall_ms": round(wall * 1000, 1),
        "burst_slowest_ms": round(max(done) * 1000, 1),
        "burst_peak_extra_mib": round((peak - base) / 1024, 1),
        "cores": os.cpu_count(),
    }


def cli(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--hasher", choices=sorted(HASHERS), required=True)
    p.add_argument("--singles", type=int, default=10)
    p.add_argument("--burst", type=int, default=20)
    args = p.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "attendance_project.settings.production")
    os.environ.setdefault("JWT_SECRET", "bench-secret-" + "b" * 40)
    import django

    django.setup()
    json.dump(measure(HASHERS[args.hasher], args.singles, args.burst), sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(cli())
