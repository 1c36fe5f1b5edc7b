"""The fault harness itself: the TCP proxy a test controls, and how the school load judges marks."""

import asyncio
import contextlib
import json
import socket
import threading

import pytest

from harness.school import Attempt, Mark, School
from harness.tcp_proxy import TcpProxy


class EchoServer:
    """A TCP server on a free port that sends back whatever it reads."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._echo, args=(connection,), daemon=True).start()

    @staticmethod
    def _echo(connection: socket.socket) -> None:
        with connection, contextlib.suppress(ConnectionError):  # the proxy cutting a connection resets it
            while data := connection.recv(4096):
                connection.sendall(data)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def proxy():
    echo = EchoServer()
    running = TcpProxy(echo.port).start()
    yield running
    running.stop()
    echo.close()


def roundtrip(port: int, data: bytes, timeout: float = 2) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as client:
        client.sendall(data)
        return client.recv(4096)


def test_the_proxy_passes_bytes_both_ways(proxy):
    assert roundtrip(proxy.port, b"ping") == b"ping"


def test_a_hanging_proxy_holds_open_connections_and_new_ones_then_delivers_on_resume(proxy):
    held = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
    held.sendall(b"before")
    assert held.recv(4096) == b"before"

    proxy.hang()
    held.settimeout(0.5)
    held.sendall(b"during")
    with pytest.raises(TimeoutError):
        held.recv(4096)  # nothing comes back, and the connection is not closed either
    with pytest.raises(TimeoutError):
        roundtrip(proxy.port, b"new", timeout=0.5)  # accepted, then it hangs too

    proxy.resume()
    held.settimeout(5)
    assert held.recv(4096) == b"during"  # what was held back arrives: the connection survived
    assert roundtrip(proxy.port, b"after") == b"after"
    held.close()


def test_reset_drops_open_connections(proxy):
    held = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
    held.sendall(b"x")
    assert held.recv(4096) == b"x"
    proxy.reset()
    assert held.recv(4096) == b""  # closed by the proxy
    held.close()


def school_with(marks: list[Mark]) -> School:
    klass = {"classId": "1", "teacher": {"id": "t", "token": "-"}, "students": [{"id": "s", "token": "-"}]}
    school = School("ws://127.0.0.1:1/ws", [klass])
    school.marks = marks
    return school


def mark(status: str, outcome: str) -> Mark:
    return Mark("1", "s", status, 0.0, outcome)


def test_an_acknowledged_mark_must_be_what_the_database_kept():
    school = school_with([mark("present", "ack"), mark("absent", "ack")])
    assert school.unexplained_marks({"1": {"s": "absent"}}) == []
    assert len(school.unexplained_marks({"1": {"s": "present"}})) == 1
    assert len(school.unexplained_marks({})) == 1  # acknowledged, and nothing stored


def test_a_later_refused_or_dropped_mark_may_or_may_not_have_been_kept():
    school = school_with([mark("present", "ack"), mark("absent", "error")])
    assert school.unexplained_marks({"1": {"s": "absent"}}) == []
    assert school.unexplained_marks({"1": {"s": "present"}}) == []
    school = school_with([mark("absent", "error")])
    assert school.unexplained_marks({}) == []


def test_an_unanswered_mark_is_always_a_problem():
    school = school_with([mark("present", "unanswered")])
    assert len(school.unexplained_marks({"1": {"s": "present"}})) == 1


def test_only_a_503_in_the_envelope_is_an_acceptable_5xx():
    school = school_with([])
    school.attempts = [
        Attempt("GET /healthz", 0.0, 200),
        Attempt("GET /class/:id", 0.0, 503, '{"success": false, "error": "Service unavailable"}'),
        Attempt("handshake", 0.0, 500, "Internal Server Error"),
        Attempt("handshake", 0.0, 502, ""),
        Attempt("GET /class/:id", 0.0, 503, "<html>busy</html>"),
    ]
    assert [attempt.status for attempt in school.server_errors()] == [500, 502, 503]


class RecordingConnection:
    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, text: str) -> None:
        self.sent.append(text)


def marked(student_id: str, status: str, seq: int) -> dict:
    data = {"studentId": student_id, "status": status, "classId": "1", "sessionId": "7", "seq": seq}
    return {"event": "ATTENDANCE_MARKED", "data": data}


def teacher_snapshot(marks: dict, seq: int) -> dict:
    session = {"sessionId": "7", "seq": seq, "marks": marks}
    return {"event": "SNAPSHOT", "data": {"classes": [{"classId": "1", "session": session}]}}


async def test_a_late_snapshot_does_not_undo_a_newer_broadcast_and_a_gap_asks_to_catch_up():
    school = school_with([])
    teacher = school.teachers["1"]
    teacher.connection = RecordingConnection()
    school._frame(teacher, teacher_snapshot({"s": "present"}, 3))
    school._frame(teacher, marked("s", "absent", 4))
    school._frame(teacher, teacher_snapshot({"s": "present"}, 3))  # read before seq 4, arrived after it
    assert teacher.view == {"s": "absent"}
    assert teacher.connection.sent == []

    school._frame(teacher, marked("s", "present", 7))  # 5 and 6 never came
    await asyncio.sleep(0)
    assert teacher.view == {"s": "present"}
    assert [json.loads(text) for text in teacher.connection.sent] == [
        {"event": "CATCH_UP", "data": {"classId": "1", "sessionId": "7", "since": 4}}
    ]
    school._frame(teacher, {"event": "CATCH_UP", "data": {"classId": "1", "sessionId": "7", "seq": 6, "marks": {}}})
    assert teacher.seq == 7
