"""Reference server for the school benchmark: the live contract for many classes, in memory.

Usage:
    python -m bench.school_reference --port 0 --classes 20 --students 30   # prints "listening on PORT"

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
- A student sending a teacher event gets `Forbidden, teacher event only`; anything else from a
  student is `Unknown event`, and a frame that is not a JSON object `Invalid message format`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import ServerConnection, broadcast, serve

STATUSES = ("present", "late", "excused", "absent")


class Session:
    """One class's running session."""

    def __init__(self, class_id: str, students: int) -> None:
        self.class_id = class_id
        self.roster = {f"{class_id}:{i}" for i in range(students)}
        self.marks: dict[str, str] = {}
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


def encode(event: str, data: dict) -> str:
    return json.dumps({"event": event, "data": data}, separators=(",", ":"))


class School:
    """Every class of the run."""

    def __init__(self, classes: int, students: int) -> None:
        self.sessions = {str(c): Session(str(c), students) for c in range(classes)}

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
        role, session, _ = found
        session.sockets.add(ws)
        try:
            async for message in ws:
                reply = self.handle(role, session, message)
                if reply is not None:
                    await ws.send(reply)
        finally:
            session.sockets.discard(ws)

    def handle(self, role: str, session: Session, message: str | bytes) -> str | None:
        """Apply one frame; broadcast what the class must see; return the sender's own answer."""
        try:
            frame = json.loads(message)
            event, data = frame["event"], frame.get("data") or {}
            if not isinstance(event, str) or not isinstance(data, dict):
                raise TypeError
        except (ValueError, TypeError, KeyError):
            return encode("ERROR", {"message": "Invalid message format"})
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


async def main(host: str, port: int, classes: int, students: int) -> None:
    school = School(classes, students)
    async with serve(school.handler, host, port, compression=None, max_queue=None, backlog=4096) as server:
        print(f"listening on {server.sockets[0].getsockname()[1]}", flush=True)
        await asyncio.get_running_loop().create_future()


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--classes", type=int, default=20)
    parser.add_argument("--students", type=int, default=30)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main(args.host, args.port, args.classes, args.students))


if __name__ == "__main__":
    cli()
