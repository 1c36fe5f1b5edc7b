"""Create a benchmark class through the HTTP API: a teacher, N enrolled students, a live session.

Usage:
    python bench/setup_class.py --base http://127.0.0.1:3000 --students 1000 --out class.json
    python bench/fanout.py --url ws://127.0.0.1:3000/ws --setup-file class.json

From Python: ``setup_class(base, n_students)`` returns the same dict that --out writes:
``run_id, class_id, teacher_id, teacher_token, student_ids, student_tokens, started_at``.

Every run uses fresh accounts (emails carry a random run id), so it can be repeated against
the same database. Stdlib only: urllib in a thread pool.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

PASSWORD = "bench-password"


def api(base: str, method: str, path: str, body: Any = None, token: str | None = None, timeout: float = 60.0) -> Any:
    """Call one contract route and return its data, raising on any failure."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = token
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base.rstrip("/") + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        payload = json.loads(raw)
    except ValueError:
        payload = {}
    if not (200 <= status < 300 and isinstance(payload, dict) and payload.get("success") is True):
        raise RuntimeError(f"{method} {path} -> {status}: {raw[:300]!r}")
    return payload.get("data")


def make_user(base: str, name: str, email: str, role: str, timeout: float) -> tuple[str, str]:
    """Sign a user up, log it in and return (id, token)."""
    user = api(
        base,
        "POST",
        "/auth/signup",
        {"name": name, "email": email, "password": PASSWORD, "role": role},
        timeout=timeout,
    )
    login = api(base, "POST", "/auth/login", {"email": email, "password": PASSWORD}, timeout=timeout)
    return str(user["_id"]), str(login["token"])


def setup_class(base: str, n_students: int, concurrency: int = 16, timeout: float = 60.0) -> dict[str, Any]:
    """Create teacher, students, class, enrolments and a started session; return ids/tokens."""
    run_id = secrets.token_hex(4)
    teacher_id, teacher_token = make_user(
        base, f"Bench Teacher {run_id}", f"bench-{run_id}-teacher@example.com", "teacher", timeout
    )
    # Signup and login hash passwords on the server: the slow part, so do it in parallel.
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        students = list(
            pool.map(
                lambda i: make_user(base, f"Bench Student {i}", f"bench-{run_id}-s{i}@example.com", "student", timeout),
                range(n_students),
            )
        )
    cls = api(base, "POST", "/class", {"className": f"bench-{run_id}"}, teacher_token, timeout)
    class_id = str(cls["_id"])
    # Sequential on purpose: concurrent adds to one class would test the server's
    # read-modify-write of the roster, not set up a benchmark.
    for student_id, _ in students:
        api(base, "POST", f"/class/{class_id}/add-student", {"studentId": student_id}, teacher_token, timeout)
    roster = api(base, "GET", f"/class/{class_id}", token=teacher_token, timeout=timeout)
    if len(roster["students"]) != n_students:
        raise RuntimeError(f"class has {len(roster['students'])} students, expected {n_students}")
    started = api(base, "POST", "/attendance/start", {"classId": class_id}, teacher_token, timeout)
    return {
        "run_id": run_id,
        "base": base,
        "class_id": class_id,
        "teacher_id": teacher_id,
        "teacher_token": teacher_token,
        "student_ids": [sid for sid, _ in students],
        "student_tokens": [tok for _, tok in students],
        "started_at": started["startedAt"],
    }


def cli() -> None:
    """Parse arguments, set the class up and write the JSON result."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--base", required=True, help="HTTP base URL, e.g. http://127.0.0.1:3000")
    p.add_argument("--students", type=int, required=True)
    p.add_argument("--concurrency", type=int, default=16, help="parallel signup/login calls")
    p.add_argument("--timeout", type=float, default=60.0, help="per request, seconds")
    p.add_argument("--out", help="file to write (default: stdout)")
    args = p.parse_args()
    t0 = time.perf_counter()
    result = setup_class(args.base, args.students, args.concurrency, args.timeout)
    text = json.dumps(result, indent=2)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    else:
        print(text)
    print(
        f"class {result['class_id']}: {args.students} students enrolled, session started "
        f"in {time.perf_counter() - t0:.1f}s",
        file=sys.stderr,
    )


if __name__ == "__main__":
    cli()
