"""HTTP load client: keep-alive connections, a bounded number of requests in flight.

Usage:
    python -m bench.httpload --base http://127.0.0.1:3000 --path /students --token JWT \
        --requests 2000 --concurrency 16
    python -m bench.httpload --base ... --method POST --path /auth/login \
        --body '{"email": "a@b.c", "password": "..."}' --requests 200 --concurrency 8

Each of --concurrency connections sends its next request as soon as the previous answer is
read (HTTP/1.1 keep-alive), so at most that many are in flight. Every answer must be 2xx with
``"success": true``; anything else counts as an error. Prints one JSON object: requests/s over
the measured requests (after --warmup per connection), latency p50/p99/max in ms, errors.
Stdlib only (asyncio streams), so the client costs little CPU next to the server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import time
from typing import Any
from urllib.parse import urlsplit

from bench.fanout import latency_stats


class HttpError(Exception):
    """An answer that was not a successful envelope."""


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """Read one HTTP/1.1 response (Content-Length or chunked) and return (status, body)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                break
            parts.append(chunk[:-2])
        body = b"".join(parts)
    else:
        raise HttpError(f"response without length: {lines[0]}")
    if headers.get("connection", "").lower() == "close":
        raise HttpError("server closed the keep-alive connection")
    return status, body


async def run_load(
    base: str,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    token: str | None = None,
    requests: int = 1000,
    concurrency: int = 16,
    warmup: int = 2,
    timeout: float = 60.0,
    max_seconds: float = 0.0,
) -> dict[str, Any]:
    """Send `requests` requests over `concurrency` keep-alive connections; return the figures."""
    parts = urlsplit(base)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    head = [f"{method} {path} HTTP/1.1", f"Host: {parts.netloc}", "Accept: application/json"]
    if token:
        head.append(f"Authorization: Bearer {token}")
    if body is not None:
        head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    request = ("\r\n".join(head) + "\r\n\r\n").encode() + (body or b"")
    latencies: list[float] = []
    errors: list[str] = []
    remaining = requests
    start_gate = asyncio.Event()
    ready = 0

    async def one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> float:
        t0 = time.perf_counter()
        writer.write(request)
        status, raw = await asyncio.wait_for(read_response(reader), timeout)
        elapsed = time.perf_counter() - t0
        try:
            ok = 200 <= status < 300 and json.loads(raw).get("success") is True
        except ValueError:
            ok = False
        if not ok:
            raise HttpError(f"{status}: {raw[:200]!r}")
        return elapsed

    async def worker() -> None:
        nonlocal remaining, ready
        reader, writer = await asyncio.open_connection(host, port)
        try:
            for _ in range(warmup):  # connection set-up and first-request costs stay out
                await one(reader, writer)
            ready += 1
            if ready == concurrency:
                start_gate.set()
            await start_gate.wait()
            while remaining > 0 and not (max_seconds and time.perf_counter() - started > max_seconds):
                remaining -= 1
                try:
                    latencies.append(await one(reader, writer))
                except (HttpError, OSError, TimeoutError, asyncio.IncompleteReadError) as exc:
                    errors.append(repr(exc)[:300])
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
        finally:
            writer.close()

    started = math.inf
    tasks = [asyncio.create_task(worker()) for _ in range(concurrency)]
    await start_gate.wait()
    t0 = started = time.perf_counter()
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - t0
    return {
        "method": method,
        "path": path,
        "requests": len(latencies) + len(errors),
        "concurrency": concurrency,
        "errors": len(errors),
        "error_samples": errors[:5],
        "elapsed_s": round(elapsed, 3),
        "requests_per_s": round(len(latencies) / elapsed, 1) if elapsed else 0.0,
        **latency_stats(latencies),
    }


def cli(argv: list[str] | None = None) -> int:
    """Parse arguments, run the load, print JSON; exit 1 on any error."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--base", required=True)
    p.add_argument("--method", default="GET")
    p.add_argument("--path", required=True)
    p.add_argument("--body", help="JSON request body")
    p.add_argument("--token")
    p.add_argument("--requests", type=int, default=1000)
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--warmup", type=int, default=2, help="unmeasured requests per connection")
    p.add_argument("--max-seconds", type=float, default=0.0, help="stop sending after this long, 0 = never")
    args = p.parse_args(argv)
    result = asyncio.run(
        run_load(
            args.base,
            args.method,
            args.path,
            body=args.body.encode() if args.body else None,
            token=args.token,
            requests=args.requests,
            concurrency=args.concurrency,
            warmup=args.warmup,
            max_seconds=args.max_seconds,
        )
    )
    json.dump(result, sys.stdout)
    print()
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(cli())
