"""Reference WebSocket fan-out server: the yardstick for bench/fanout.py.

Usage:
    python bench/reference_server.py --host 127.0.0.1 --port 8765   # --port 0 picks a free port

Prints ``listening on PORT`` (flushed) once it accepts connections.

Speaks the smallest slice of the wire contract (shared/api-contract.md) that the fan-out
benchmark touches, and nothing else:

- Only ``/ws`` is served; any other path gets HTTP 404 at the handshake.
- Auth is deliberately fake: a ``token`` query parameter starting with ``teacher`` makes the
  connection a teacher, anything else (including no token) makes it a student. There are no
  classes: every connection is in the one room.
- A teacher's ``{"event": "ATTENDANCE_MARKED", "data": {"studentId": .., "status": ..}}`` is
  broadcast as the same frame to every open connection, the sender's included. Every other
  frame, from anyone, is ignored.

It is meant to be as fast as the ``websockets`` library allows: the frame is serialised once
and pushed with ``websockets.asyncio.server.broadcast``, and compression is disabled.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.http11 import Request, Response

CONNECTIONS: set[ServerConnection] = set()


def is_teacher(path: str) -> bool:
    """Return whether the request path carries a teacher token."""
    token = parse_qs(urlsplit(path).query).get("token", [""])[0]
    return token.startswith("teacher")


def reject_other_paths(connection: ServerConnection, request: Request) -> Response | None:
    """Answer 404 to any handshake not aimed at /ws."""
    if urlsplit(request.path).path != "/ws":
        return connection.respond(HTTPStatus.NOT_FOUND, "Not found\n")
    return None


async def handler(ws: ServerConnection) -> None:
    """Register the connection and relay a teacher's marks to everyone."""
    teacher = is_teacher(ws.request.path if ws.request else "")
    CONNECTIONS.add(ws)
    try:
        async for message in ws:
            if not teacher:
                continue
            try:
                frame = json.loads(message)
                data = frame["data"]
                if frame["event"] != "ATTENDANCE_MARKED":
                    continue
                out = {
                    "event": "ATTENDANCE_MARKED",
                    "data": {"studentId": data["studentId"], "status": data["status"]},
                }
            except (ValueError, TypeError, KeyError):
                continue
            # Serialise once; broadcast() writes the same bytes to every connection.
            broadcast(CONNECTIONS, json.dumps(out, separators=(",", ":")))
    finally:
        CONNECTIONS.discard(ws)


async def main(host: str, port: int) -> None:
    """Serve until cancelled."""
    async with serve(
        handler,
        host,
        port,
        process_request=reject_other_paths,
        compression=None,  # deflate costs CPU per recipient; the yardstick must be cheapest
        max_queue=None,  # never pause reading a teacher that sends back-to-back
        backlog=2048,  # 100 concurrent connects must not overflow the accept queue
    ) as server:
        bound = server.sockets[0].getsockname()[1]
        print(f"listening on {bound}", flush=True)
        await asyncio.get_running_loop().create_future()


def cli() -> None:
    """Parse arguments and run the server."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main(args.host, args.port))


if __name__ == "__main__":
    cli()
