"""Reference server for the school benchmark: the live contract for many classes, in memory.

Usage:
    python -m bench.school_reference --port 0 --classes 20 --students 30   # prints "listening on PORT"
    python -m bench.school_reference --port 0 --workers 2 ...              # prints "listening on PORT PORT"

What the project does at 9:00, without a database or a second process: one asyncio process,
`websockets`, one room per class, each class with a running session whose state (marks and a
version) lives in a dict. It is the yardstick of bench/school.py: what the same load costs when
nothing is persisted, so the project's figures can be read as a ratio to it.

- `/ws?token=teacher:<c>` is class c's teacher; `/ws?token=student:<c>:<i>` its student i, whose
  id is `<c>:<i>` (i < --students). Anything else gets the contract's ERROR and a close.
- ATTENDANCE_MARKED (teacher): the status must be present, late, excused or absent
  (`Invalid status`) and the student one of the class (`Student not enrolled in class`); the
  session's version goes up by one and the class gets
  `ATTENDANCE_MARKED {studentId, status, classId, sessionId, seq}`.
- TODAY_SUMMARY (teacher): the counts of the marks so far, to the class.
- DONE (teacher): every unmarked student counts absent, the session ends, the class gets DONE;
  later marks get `No active attendance session`.
- SUBSCRIBE (anyone): the class's SNAPSHOT entry (`{classes: [{classId, session}]}`; a teacher's
  session has every mark, a student's its own status, both the session's `seq`).
- CATCH_UP {classId, sessionId, since} (anyone): while that session runs, `{classId, sessionId,
  seq, marks}` with the statuses changed after `since` (a student's own only); otherwise
  `{classId, sessionId, seq, snapshot}` with the SNAPSHOT entry, as the project answers.
- A student sending a teacher event gets `Forbidden, teacher event only`; anything else from a
  student is `Unknown event`, and a frame that is not a JSON object `Invalid message format`.
- `GET /marks` answers `{classId: {studentId: status}}` of the running sessions: what a
  benchmark compares the clients' views with.

With `--workers N` the process listens on N ports that share the one state, as the project's
workers share a database. SIGUSR1 kills the first of them the way SIGKILL kills a worker: its
listening socket closes (new connections are refused) and every connection it accepted is
aborted without a close frame. The state stays, as the project's database does.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

STATUSES = ("present", "late", "excused", "absent")


class Session:
    """One class's running session."""

    def __init__(self, class_id: str, students: int) -> None:
        self.class_id = class_id
        self.roster = {f"{class_id}:{i}" for i in range(students)}
        self.marks: dict[str, str] = {}
        # The version at which each student's status last changed, for CATCH_UP.
        self.changed: dict[str, int] = {}
        self.version = 0
        self.active = True
        self.sockets: set[ServerConnection] = set()

    def counts(self, everyone: bool) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for status in self.marks.values():
            counts[status] += 1
        if everyone:
            counts["absent"] += len(self.roster) - len(self.marks)
        return {**counts, "total": sum(counts.values())}

    def entry(self, user: str | None) -> dict:
        """The class's SNAPSHOT entry for its teacher (user None) or student `user`."""
        if not self.active:
            return {"classId": self.class_id, "session": None}
        session: dict = {"sessionId": self.class_id, "seq": self.version}
        if user is None:
            session["marks"] = dict(self.marks)
        else:
            session["status"] = self.marks.get(user, "not yet updated")
        return {"classId": self.class_id, "session": session}

    def catch_up(self, user: str | None, data: dict) -> dict:
        """Answer a CATCH_UP from the teacher (user None) or student `user`."""
        since = data.get("since", 0)
        if self.active and data.get("sessionId") == self.class_id and isinstance(since, int) and since <= self.version:
            changed = {s: self.marks[s] for s, seq in self.changed.items() if seq > since and user in (None, s)}
            return {"classId": self.class_id, "sessionId": self.class_id, "seq": self.version, "marks": changed}
        running = self.active
        return {
            "classId": self.class_id,
            "sessionId": self.class_id if running else None,
            "seq": self.version if running else None,
            "snapshot": self.entry(user),
        }


def encode(event: str, data: dict) -> str:
    return json.dumps({"event": event, "data": data}, separators=(",", ":"))


class School:
    """Every class of the run."""

    def __init__(self, classes: int, students: int) -> None:
        self.sessions = {str(c): Session(str(c), students) for c in range(classes)}

    def marks(self, connection: ServerConnection, request: Request) -> Response | None:
        """Answer `GET /marks`; let any other request go on to the handshake."""
        if urlsplit(request.path).path != "/marks":
            return None
        running = {c: dict(s.marks) for c, s in self.sessions.items() if s.active}
        return connection.respond(HTTPStatus.OK, json.dumps(running))

    def who(self, path: str) -> tuple[str, Session, str] | None:
        token = parse_qs(urlsplit(path).query).get("token", [""])[0]
        parts = token.split(":")
        session = self.sessions.get(parts[1]) if len(parts) > 1 else None
        if session is None:
            return None
        if parts[0] == "teacher" and len(parts) == 2:
            return "teacher", session, f"teacher-{parts[1]}"
        if parts[0] == "student" and len(parts) == 3 and token[len("student:") :] in session.roster:
            return "student", session, token[len("student:") :]
        return None

    async def handler(self, ws: ServerConnection) -> None:
        found = self.who(ws.request.path if ws.request else "")
        if found is None:
            await ws.send(encode("ERROR", {"message": "Unauthorized or invalid token"}))
            await ws.close(4008)
            return
        role, session, user = found
        session.sockets.add(ws)
        try:
            async for message in ws:
                reply = self.handle(role, session, message, None if role == "teacher" else user)
                if reply is not None:
                    await ws.send(reply)
        except ConnectionClosed:
            pass  # a client gone without a close frame, or a port killed under it
        finally:
            session.sockets.discard(ws)

    def handle(self, role: str, session: Session, message: str | bytes, student: str | None = None) -> str | None:
        """Apply one frame; broadcast what the class must see; return the sender's own answer.

        `student` is the sender's id when a student sends it (None: the teacher).
        """
        try:
            frame = json.loads(message)
            event, data = frame["event"], frame.get("data") or {}
            if not isinstance(event, str) or not isinstance(data, dict):
                raise TypeError
        except (ValueError, TypeError, KeyError):
            return encode("ERROR", {"message": "Invalid message format"})
        if event == "SUBSCRIBE":
            return encode("SNAPSHOT", {"classes": [session.entry(student)]})
        if event == "CATCH_UP":
            return encode("CATCH_UP", session.catch_up(student, data))
        if event not in ("ATTENDANCE_MARKED", "TODAY_SUMMARY", "DONE"):
            return encode("ERROR", {"message": "Unknown event"})
        if role != "teacher":
            return encode("ERROR", {"message": "Forbidden, teacher event only"})
        if not session.active:
            return encode("ERROR", {"message": "No active attendance session"})
        fields = {"classId": session.class_id, "sessionId": session.class_id}
        if event == "ATTENDANCE_MARKED":
            status, student = data.get("status"), data.get("studentId")
            if status not in STATUSES:
                return encode("ERROR", {"message": "Invalid status"})
            if student not in session.roster:
                return encode("ERROR", {"message": "Student not enrolled in class"})
            session.marks[student] = status
            session.version += 1
            session.changed[student] = session.version
            out = encode(
                "ATTENDANCE_MARKED", {"studentId": student, "status": status, **fields, "seq": session.version}
            )
        elif event == "TODAY_SUMMARY":
            out = encode("TODAY_SUMMARY", {**session.counts(everyone=False), **fields, "seq": session.version})
        else:
            session.active = False
            session.version += 1
            counts = session.counts(everyone=True)
            out = encode("DONE", {"message": "Attendance persisted", **counts, **fields, "seq": session.version})
        # Serialized once; broadcast() writes the same bytes to every socket of the class.
        broadcast(session.sockets, out)
        return None


def kill(server: Server) -> None:
    """Stop `server` as SIGKILL stops a worker: no more connections, every open one cut."""
    server.server.close()
    for connection in list(server.all_connections):  # those still in their handshake too
        connection.transport.abort()


async def main(host: str, port: int, classes: int, students: int, workers: int = 1) -> None:
    school = School(classes, students)
    async with contextlib.AsyncExitStack() as stack:
        servers = [
            await stack.enter_async_context(
                serve(
                    school.handler,
                    host,
                    port if n == 0 else 0,
                    compression=None,
                    max_queue=None,
                    backlog=4096,
                    process_request=school.marks,
                )
            )
            for n in range(workers)
        ]
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGUSR1, kill, servers[0])
        ports = " ".join(str(server.sockets[0].getsockname()[1]) for server in servers)
        print(f"listening on {ports}", flush=True)
        await loop.create_future()


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--classes", type=int, default=20)
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--workers", type=int, default=1, help="ports sharing the state (SIGUSR1 kills the first)")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main(args.host, args.port, args.classes, args.students, args.workers))


if __name__ == "__main__":
    cli()
