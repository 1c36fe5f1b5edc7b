"""A school's morning as load: many classes marking at once over real sockets.

Every teacher and every student is a client that behaves as the site's pages do
(static/js/live-socket.js): it opts in with SUBSCRIBE and builds its view from the SNAPSHOT,
reconnects after a drop with the page's backoff (0.5 s doubling to 8 s, jittered) and then
asks with CATCH_UP for what it missed since the last `seq` it holds (SUBSCRIBE again on a
server whose broadcasts carry no `seq`), applies ATTENDANCE_MARKED broadcasts unless it
already shows a later change of that student, asks with CATCH_UP when a broadcast's `seq`
shows that it missed one, and resyncs with SUBSCRIBE when an ERROR answers the teacher.
Teachers mark at a human pace, one mark at a time, and every mark's fate is recorded:
acknowledged (its broadcast came back), answered with an ERROR, dropped with its
connection, or never answered (a failure). A prober keeps making HTTP requests and fresh
handshakes beside the load and records every status.

    school = School(ws_url, classes)       # classes from harness.seed.seed_school
    # or School(url_a, classes, failover=(url_b,)): sockets dealt to the workers in turn; a
    # connection refused (a dead worker) goes on at once to the next URL, as a proxy would
    await school.connect()                 # every socket open and synced
    school.start_marking()
    ...                                    # cause a fault
    await school.stop_marking()
    seconds = await school.converge(database.marks, since=fault_end)

Nothing here imports pytest: `bench/` can drive a larger school with it.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import random
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

# The page's reconnect backoff (static/js/live-socket.js).
# A student's status before any mark (the contract's MY_ATTENDANCE and SNAPSHOT wording).
NOT_YET_UPDATED = "not yet updated"
MIN_DELAY = 0.5
MAX_DELAY = 8.0
OPEN_TIMEOUT = 10.0
# Longer than any wait the server may spend on one mark (the database's busy or pool timeout).
ANSWER_TIMEOUT = 45.0


@dataclass
class Mark:
    """One ATTENDANCE_MARKED a teacher sent, and what became of it."""

    class_id: str
    student_id: str
    status: str
    sent_at: float
    outcome: str = "pending"  # ack | error | dropped | unanswered
    message: str = ""
    answered_at: float | None = None


@dataclass
class Attempt:
    """One HTTP request or WebSocket handshake and the status it was answered with (0: no answer)."""

    kind: str
    at: float
    status: int
    body: str = ""
    seconds: float = 0.0  # until the answer (or the failure)
    url: str = ""


@dataclass
class Client:
    """One page: a teacher's (view: every mark of the class) or a student's (view: own status)."""

    role: str
    user_id: str
    token: str
    class_id: str
    view: object = None
    # The session's `seq` as far as this client holds it, and the `seq` of each status it shows.
    session_id: str | None = None
    seq: int | None = None
    applied: dict[str, int] = field(default_factory=dict)
    synced: bool = False
    changed_at: float = 0.0
    # When the current connection opened, and when the client first synced on it (time.monotonic()).
    opened_at: float = 0.0
    synced_at: float = 0.0
    # Which of the school's URLs it connects to.
    url: int = 0
    opened: int = 0
    frames: int = 0
    last_frame_at: float = 0.0
    dropped: int = 0
    resyncs: int = 0
    errors: list[str] = field(default_factory=list)
    # The last frames about this client's view, for the failure messages.
    history: collections.deque = field(default_factory=lambda: collections.deque(maxlen=6))
    connection: object = None
    pending: asyncio.Future | None = None
    pending_mark: Mark | None = None

    def set_view(self, view: object) -> None:
        if view != self.view:
            self.view = view
            self.changed_at = time.monotonic()

    def set_synced(self) -> None:
        if not self.synced:  # the first answer on this connection; a later CATCH_UP is no resync
            self.synced = True
            self.synced_at = time.monotonic()


def snapshot_entry(data: dict, class_id: str) -> dict | None:
    for entry in data.get("classes", []):
        if entry.get("classId") == class_id:
            return entry
    return None


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class School:
    """Drive every client of `classes` against `ws_url`; see the module's docstring."""

    def __init__(
        self,
        ws_url: str,
        classes: list[dict],
        *,
        http_url: str | None = None,
        marks_per_second: float = 2.0,
        seed: int = 1,
        failover: tuple[str, ...] = (),
    ) -> None:
        self.ws_url = ws_url
        self.ws_urls = [ws_url, *failover]
        self.http_url = http_url or ws_url.replace("ws", "http", 1).rsplit("/ws", 1)[0]
        self.classes = classes
        self.interval = 1.0 / marks_per_second
        self.random = random.Random(seed)
        self.clients: list[Client] = []
        self.teachers: dict[str, Client] = {}
        for k, klass in enumerate(classes):
            teacher = Client("teacher", klass["teacher"]["id"], klass["teacher"]["token"], klass["classId"], view={})
            self.teachers[klass["classId"]] = teacher
            members = [teacher]
            members += [Client("student", s["id"], s["token"], klass["classId"]) for s in klass["students"]]
            for n, client in enumerate(members):
                # Dealt to the URLs in turn; the classes' teachers too.
                client.url = (k + n) % len(self.ws_urls)
            self.clients += members
        self.marks: list[Mark] = []
        self.attempts: list[Attempt] = []
        self.stopping = False
        self.marking = False
        self._tasks: list[asyncio.Task] = []
        self._markers: list[asyncio.Task] = []
        self._prober: asyncio.Task | None = None
        self._sends: set[asyncio.Task] = set()

    # Connections ---------------------------------------------------------------------------

    async def connect(self, timeout: float = 120, concurrency: int = 50) -> float:
        """Open every client's socket (at most `concurrency` handshakes at once); return the seconds it took."""
        started = time.monotonic()
        gate = asyncio.Semaphore(concurrency)
        self._tasks = [asyncio.ensure_future(self._run(client, gate)) for client in self.clients]
        deadline = started + timeout
        while not all(client.synced for client in self.clients):
            if time.monotonic() > deadline:
                waiting = sum(not client.synced for client in self.clients)
                raise TimeoutError(f"{waiting} of {len(self.clients)} clients not synced after {timeout}s")
            await asyncio.sleep(0.05)
        return time.monotonic() - started

    async def _run(self, client: Client, gate: asyncio.Semaphore | None = None) -> None:
        attempt = 0
        while not self.stopping:
            try:
                if gate is not None:
                    async with gate:
                        connection = await self._open(client)
                    gate = None  # only the first connection waits its turn
                else:
                    connection = await self._open(client)
            except (OSError, TimeoutError, WebSocketException):
                connection = None
            if connection is not None:
                attempt = 0
                await self._serve(client, connection)
            if self.stopping:
                return
            delay = min(MAX_DELAY, MIN_DELAY * 2**attempt) * (0.75 + self.random.random() * 0.5)
            attempt += 1
            await asyncio.sleep(delay)

    async def _open(self, client: Client):
        """Connect to the client's URL; when it refuses, to the next at once (a proxy's retry on another worker)."""
        for _ in range(len(self.ws_urls) - 1):
            try:
                return await self._dial(client, self.ws_urls[client.url])
            except ConnectionRefusedError:
                client.url = (client.url + 1) % len(self.ws_urls)
        return await self._dial(client, self.ws_urls[client.url])

    async def _dial(self, client: Client, url: str):
        at = time.monotonic()
        try:
            connection = await connect(
                f"{url}?token={client.token}", open_timeout=OPEN_TIMEOUT, max_queue=None, ping_interval=None
            )
        except InvalidStatus as error:
            response = error.response
            body = response.body.decode(errors="replace")
            self.attempts.append(Attempt("reconnect", at, response.status_code, body, time.monotonic() - at, url))
            raise
        except TimeoutError:
            self.attempts.append(Attempt("reconnect", at, 0, "handshake timed out", time.monotonic() - at, url))
            raise
        except (OSError, WebSocketException) as error:  # refused, or reset during the handshake
            self.attempts.append(Attempt("reconnect", at, 0, repr(error)[:200], time.monotonic() - at, url))
            raise
        self.attempts.append(Attempt("reconnect", at, 101, seconds=time.monotonic() - at, url=url))
        client.opened_at = time.monotonic()
        return connection

    async def _serve(self, client: Client, connection) -> None:
        client.connection = connection
        client.opened += 1
        try:
            if client.seq is not None and client.session_id is not None:
                # As the pages do once the server numbers its changes: only what was missed.
                data = {"classId": client.class_id, "sessionId": client.session_id, "since": client.seq}
                await connection.send(json.dumps({"event": "CATCH_UP", "data": data}))
            else:
                await connection.send(json.dumps({"event": "SUBSCRIBE", "data": {}}))
            async for raw in connection:
                self._frame(client, json.loads(raw))
        except ConnectionClosed:
            pass
        finally:
            client.connection = None
            client.synced = False
            if not self.stopping:
                client.dropped += 1
            self._settle(client, "dropped", "the connection closed before an answer")

    def _frame(self, client: Client, frame: dict) -> None:
        event, data = frame.get("event"), frame.get("data") or {}
        client.frames += 1
        client.last_frame_at = time.monotonic()
        if event in ("SNAPSHOT", "ERROR") or (event == "ATTENDANCE_MARKED" and data.get("studentId") == client.user_id):
            client.history.append((round(time.monotonic(), 2), event, _brief(event, data, client)))
        if event == "SNAPSHOT":
            self._apply_entry(client, snapshot_entry(data, client.class_id) or {})
        elif event == "CATCH_UP" and data.get("classId") == client.class_id:
            if "snapshot" in data:
                self._apply_entry(client, data.get("snapshot") or {})
            else:
                client.session_id = data.get("sessionId")
                self._apply_marks(client, data.get("marks") or {}, _int_or_none(data.get("seq")))
                client.set_synced()
        elif event == "ATTENDANCE_MARKED" and data.get("classId") == client.class_id:
            seq = _int_or_none(data.get("seq"))
            if client.role == "teacher":
                pending = client.pending_mark
                if pending is not None and (pending.student_id, pending.status) == (data["studentId"], data["status"]):
                    self._settle(client, "ack")
            if seq is not None and client.seq is not None and seq > client.seq + 1:
                self.catch_up(client)  # one or more changes never reached this socket
            self._apply_marks(client, {data["studentId"]: data["status"]}, seq)
        elif event == "ERROR":
            message = data.get("message", "")
            client.errors.append(message)
            if client.role == "teacher" and client.pending_mark is not None:
                self._settle(client, "error", message)
            self.resync(client)  # as the page does: show the message, then ask for the state again

    def _apply_entry(self, client: Client, entry: dict) -> None:
        """Take a class's snapshot entry (a SNAPSHOT's, or a CATCH_UP answered with one)."""
        session = entry.get("session") or {}
        client.session_id = session.get("sessionId")
        seq = _int_or_none(session.get("seq"))
        if client.role == "teacher":
            marks = dict(session.get("marks") or {})
        else:
            marks = {client.user_id: session.get("status") or NOT_YET_UPDATED}
        if seq is None:
            # A server without `seq`: the snapshot is the whole truth as of now.
            client.applied.clear()
            client.set_view(marks if client.role == "teacher" else marks[client.user_id])
        else:
            self._apply_marks(client, marks, seq)
        client.set_synced()

    def _apply_marks(self, client: Client, marks: dict, seq: int | None) -> None:
        """Apply statuses known as of `seq`, unless a later change of the same student is already shown."""
        if client.role == "teacher":
            view = dict(client.view)
        for student_id, status in marks.items():
            if student_id != client.user_id and client.role != "teacher":
                continue  # a student's page shows its own status only
            if seq is not None and client.applied.get(student_id, -1) > seq:
                continue
            if seq is not None:
                client.applied[student_id] = seq
            if client.role == "teacher":
                view[student_id] = status
            else:
                client.set_view(status)
        if client.role == "teacher":
            client.set_view(view)
        if seq is not None:
            client.seq = max(client.seq or 0, seq)

    def catch_up(self, client: Client) -> None:
        """Ask for every change since the last `seq` this client holds (CATCH_UP)."""
        if client.connection is None:
            return
        client.resyncs += 1
        data = {"classId": client.class_id, "sessionId": client.session_id, "since": client.seq or 0}
        self._spawn(self._send(client, "CATCH_UP", data))

    def _spawn(self, coroutine) -> None:
        task = asyncio.ensure_future(coroutine)
        self._sends.add(task)
        task.add_done_callback(self._sends.discard)

    def resync(self, client: Client) -> None:
        """Ask for the whole state again (the page's resync)."""
        if client.connection is None:
            return
        client.resyncs += 1
        self._spawn(self._send(client, "SUBSCRIBE", {}))

    async def _send(self, client: Client, event: str, data: dict) -> None:
        connection = client.connection
        if connection is None:
            return
        with contextlib.suppress(ConnectionClosed):
            await connection.send(json.dumps({"event": event, "data": data}))

    def _settle(self, client: Client, outcome: str, message: str = "") -> None:
        mark, future = client.pending_mark, client.pending
        if mark is None:
            return
        mark.outcome, mark.message, mark.answered_at = outcome, message, time.monotonic()
        client.pending_mark = client.pending = None
        if future is not None and not future.done():
            future.set_result(outcome)

    # Marking -------------------------------------------------------------------------------

    def start_marking(self) -> None:
        """Every teacher marks at the set pace until stop_marking()."""
        self.marking = True
        self._markers = [
            asyncio.ensure_future(self._mark_loop(self.teachers[klass["classId"]], klass)) for klass in self.classes
        ]

    async def stop_marking(self) -> None:
        """Stop marking and wait until every mark sent has an outcome."""
        self.marking = False
        await asyncio.gather(*self._markers)

    async def _mark_loop(self, teacher: Client, klass: dict) -> None:
        students = [student["id"] for student in klass["students"]]
        # Teachers do not start in step.
        await asyncio.sleep(self.random.random() * self.interval)
        while self.marking:
            if teacher.synced and teacher.connection is not None:
                await self.mark(teacher, self.random.choice(students), self.random.choice(("present", "absent")))
            await asyncio.sleep(self.interval * (0.5 + self.random.random()))

    async def mark(self, teacher: Client, student_id: str, status: str) -> Mark:
        """Send one mark and wait for its outcome."""
        mark = Mark(teacher.class_id, student_id, status, time.monotonic())
        self.marks.append(mark)
        loop = asyncio.get_running_loop()
        teacher.pending_mark, teacher.pending = mark, loop.create_future()
        future = teacher.pending
        try:
            await teacher.connection.send(
                json.dumps(
                    {
                        "event": "ATTENDANCE_MARKED",
                        "data": {"studentId": student_id, "status": status, "classId": teacher.class_id},
                    }
                )
            )
        except (ConnectionClosed, AttributeError):
            self._settle(teacher, "dropped", "the connection closed before the mark was sent")
            return mark
        try:
            await asyncio.wait_for(asyncio.shield(future), ANSWER_TIMEOUT)
        except TimeoutError:
            self._settle(teacher, "unanswered", f"no answer within {ANSWER_TIMEOUT:.0f}s")
        return mark

    # Probing -------------------------------------------------------------------------------

    def start_probing(self, every: float = 0.25) -> None:
        """Keep making HTTP requests and fresh handshakes, recording every status."""
        self._prober = asyncio.ensure_future(self._probe(every))

    async def stop_probing(self) -> None:
        if self._prober is not None:
            self._prober.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._prober

    async def _probe(self, every: float) -> None:
        n = 0
        while True:
            kind, turn = n % 4, n // 4
            klass = self.classes[turn % len(self.classes)]
            student = klass["students"][turn % len(klass["students"])]
            n += 1
            if kind == 0:
                await asyncio.to_thread(self._http, "GET /healthz", "/healthz", None)
            elif kind == 1:
                path = f"/class/{klass['classId']}"
                await asyncio.to_thread(self._http, "GET /class/:id", path, klass["teacher"]["token"])
            elif kind == 2:
                path = f"/class/{klass['classId']}/my-attendance"
                await asyncio.to_thread(self._http, "GET /class/:id/my-attendance", path, student["token"])
            else:
                await self._handshake(student["token"])
            await asyncio.sleep(every)

    def _http(self, kind: str, path: str, token: str | None) -> None:
        at = time.monotonic()
        request = urllib.request.Request(self.http_url + path, headers={"Authorization": token} if token else {})
        try:
            with urllib.request.urlopen(request, timeout=OPEN_TIMEOUT) as response:
                self.attempts.append(Attempt(kind, at, response.status, seconds=time.monotonic() - at))
        except urllib.error.HTTPError as error:
            body = error.read().decode(errors="replace")
            self.attempts.append(Attempt(kind, at, error.code, body, time.monotonic() - at))
        except OSError as error:
            self.attempts.append(Attempt(kind, at, 0, repr(error), time.monotonic() - at))

    async def _handshake(self, token: str) -> None:
        at = time.monotonic()
        try:
            connection = await connect(f"{self.ws_url}?token={token}", open_timeout=OPEN_TIMEOUT, ping_interval=None)
        except InvalidStatus as error:
            body = error.response.body.decode(errors="replace")
            self.attempts.append(Attempt("handshake", at, error.response.status_code, body, time.monotonic() - at))
            return
        except (OSError, TimeoutError, WebSocketException) as error:
            self.attempts.append(Attempt("handshake", at, 0, repr(error), time.monotonic() - at))
            return
        self.attempts.append(Attempt("handshake", at, 101, seconds=time.monotonic() - at))
        with contextlib.suppress(ConnectionClosed):
            await connection.close()

    # Checks --------------------------------------------------------------------------------

    def mismatches(self, database: dict[str, dict[str, str]], since: float = 0.0) -> list[str]:
        """Clients whose view differs from `database` ({classId: {studentId: status}}), described."""
        found = []
        for client in self.clients:
            marks = database.get(client.class_id, {})
            expected = marks if client.role == "teacher" else marks.get(client.user_id, NOT_YET_UPDATED)
            if not client.synced:
                found.append(f"{client.role} {client.user_id} of class {client.class_id}: not connected")
            elif client.view != expected:
                found.append(
                    f"{client.role} {client.user_id} of class {client.class_id}: sees {client.view!r}, "
                    f"the database has {expected!r}; opened {client.opened}x, dropped {client.dropped}x, "
                    f"{client.frames} frames, the last {client.last_frame_at - since:+.2f}s after the fault; "
                    f"last frames {list(client.history)}"
                )
        return found

    async def converge(self, read_database, *, since: float, timeout: float) -> tuple[float, list[str]]:
        """Wait until every client's view equals the database; return (seconds after `since`, mismatches).

        `read_database()` returns {classId: {studentId: status}} and is called in a thread. The
        seconds are those from `since` until the last client's view last changed (0 when every
        view was already right), so the polling interval does not count.
        """
        deadline = time.monotonic() + timeout
        while True:
            database = await asyncio.to_thread(read_database)
            wrong = self.mismatches(database, since)
            if not wrong:
                last = max(client.changed_at for client in self.clients)
                return max(0.0, last - since), []
            if time.monotonic() > deadline:
                return time.monotonic() - since, wrong
            await asyncio.sleep(0.1)

    def unexplained_marks(self, database: dict[str, dict[str, str]]) -> list[str]:
        """Marks whose fate breaks the promise: unanswered, or acknowledged but not what was kept.

        A student's stored status must be the last acknowledged mark's, unless a later mark of
        that student (answered with an ERROR or dropped with its connection: either may have
        been saved) set it.
        """
        problems = [
            f"mark {m.status} of {m.student_id} in class {m.class_id}: {m.message}"
            for m in self.marks
            if m.outcome in ("unanswered", "pending")
        ]
        by_student: dict[tuple[str, str], list[Mark]] = {}
        for mark in self.marks:
            by_student.setdefault((mark.class_id, mark.student_id), []).append(mark)
        for (class_id, student_id), marks in by_student.items():
            stored = database.get(class_id, {}).get(student_id)
            acked = [n for n, mark in enumerate(marks) if mark.outcome == "ack"]
            if not acked and stored is None:
                continue  # nothing acknowledged and nothing stored: every mark was refused
            allowed = {mark.status for mark in marks[acked[-1] if acked else 0 :]}
            if stored not in allowed:
                problems.append(
                    f"student {student_id} of class {class_id}: stored {stored!r}, "
                    f"acknowledged or later marks {allowed}"
                )
        return problems

    def server_errors(self) -> list[Attempt]:
        """Requests and handshakes answered with a 5xx other than a 503 in the contract's envelope."""
        wrong = []
        for attempt in self.attempts:
            if attempt.status < 500:
                continue
            if attempt.status == 503 and _is_envelope_error(attempt.body):
                continue
            wrong.append(attempt)
        return wrong

    def slowest(self) -> dict[str, float]:
        """{kind: seconds} of the slowest request or handshake of each kind."""
        table: dict[str, float] = {}
        for attempt in self.attempts:
            table[attempt.kind] = max(table.get(attempt.kind, 0.0), attempt.seconds)
        return table

    def outcomes(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for mark in self.marks:
            counts[mark.outcome] = counts.get(mark.outcome, 0) + 1
        return counts

    def statuses(self) -> dict[str, dict[int, int]]:
        """{kind: {status: count}} of every request and handshake made."""
        table: dict[str, dict[int, int]] = {}
        for attempt in self.attempts:
            row = table.setdefault(attempt.kind, {})
            row[attempt.status] = row.get(attempt.status, 0) + 1
        return table

    async def close(self) -> None:
        """Stop every client and the prober."""
        self.stopping = True
        self.marking = False
        await self.stop_probing()
        for client in self.clients:
            if client.connection is not None:
                with contextlib.suppress(Exception):
                    await client.connection.close()
        for task in self._tasks + self._markers:
            task.cancel()
        await asyncio.gather(*self._tasks, *self._markers, return_exceptions=True)


def _brief(event: str, data: dict, client: Client) -> object:
    if event == "SNAPSHOT":
        entry = snapshot_entry(data, client.class_id) or {}
        session = entry.get("session") or {}
        return session.get("status") if client.role == "student" else len(session.get("marks") or {})
    if event == "ERROR":
        return data.get("message")
    return {key: value for key, value in data.items() if key in ("status", "seq")}


def _is_envelope_error(body: str) -> bool:
    try:
        decoded = json.loads(body)
    except ValueError:
        return False
    return isinstance(decoded, dict) and decoded.get("success") is False and isinstance(decoded.get("error"), str)


# The running sessions' marks, straight from the database the workers share.
RUNNING_MARKS = (
    "SELECT s.klass_id, r.student_id, r.status FROM attendance_attendancerecord r "
    "JOIN attendance_attendancesession s ON s.id = r.session_id WHERE s.is_active"
)


def _by_class(rows) -> dict[str, dict[str, str]]:
    marks: dict[str, dict[str, str]] = {}
    for class_id, student_id, status in rows:
        marks.setdefault(str(class_id), {})[str(student_id)] = status
    return marks


def sqlite_marks(path) -> dict[str, dict[str, str]]:
    """{classId: {studentId: status}} of every running session in the SQLite file at `path`."""
    import sqlite3

    database = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=60)
    try:
        return _by_class(database.execute(RUNNING_MARKS).fetchall())
    finally:
        database.close()


def postgres_marks(url: str) -> dict[str, dict[str, str]]:
    """{classId: {studentId: status}} of every running session in the PostgreSQL database at `url`."""
    import psycopg

    with psycopg.connect(url, connect_timeout=5) as database:
        return _by_class(database.execute(RUNNING_MARKS).fetchall())
