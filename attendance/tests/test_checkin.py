"""Self check-in and "I'm here" over the API: every rule and every error row of the contract."""

import io
import re

import pytest
from django.core.management import call_command
from django.test import override_settings

from attendance import checkin, codes, events, services
from attendance.models import AttendanceRecord, CheckIn, CheckInWindow
from core.errors import Messages
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

ISO_MILLIS_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
BAD_IDS = ["someid", "507f1f77bcf86cd799439011", "-1", "0"]
T0 = 1_900_000_000.0  # the start of a period of 20 s: 1.9e9 / 20 is whole


def assert_error(response, status: int, message: str) -> None:
    assert response.status_code == status, response.content
    assert response.json() == {"success": False, "error": message}


def assert_ok(response, status: int = 200):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["success"] is True, body
    return body["data"]


class Clock:
    """The time check-in sees, moved by the test."""

    def __init__(self, monkeypatch) -> None:
        self.now = T0 + 2
        monkeypatch.setattr(checkin, "clock", lambda: self.now)

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def klass(teacher, student):
    return factories.make_class(teacher=teacher, students=[student, factories.make_student(name="Other")])


@pytest.fixture
def session(klass):
    return services.session_start(teacher=klass.teacher, klass=klass)


@pytest.fixture
def heard():
    received = []

    def on_changed(*, session, state, **kwargs):
        received.append(("changed", state))

    def on_checked_in(*, session, record, teacher_state, **kwargs):
        received.append(("checked_in", str(record.student_id), record.status))

    def on_claim(*, session, student, **kwargs):
        received.append(("claim", str(student.pk)))

    pairs = [(events.checkin_changed, on_changed), (events.checked_in, on_checked_in), (events.claim_made, on_claim)]
    for signal, receiver in pairs:
        signal.connect(receiver)
    yield received
    for signal, receiver in pairs:
        signal.disconnect(receiver)


def open_checkin(client, klass, **body):
    return client.post("/attendance/check-in/open", {"classId": str(klass.pk), **body}, format="json")


def code_now(client, klass) -> str:
    return assert_ok(client.get(f"/class/{klass.pk}/check-in/code"))["code"]


def check_in(client, klass, code, **extra):
    return client.post("/attendance/check-in", {"classId": str(klass.pk), "code": code}, format="json", **extra)


def claim(client, klass):
    return client.post("/attendance/claim", {"classId": str(klass.pk)}, format="json")


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


# --- POST /attendance/check-in/open and /close ------------------------------------------------


def test_open_and_close(auth, teacher, klass, session, heard):
    client = auth(teacher)
    assert assert_ok(open_checkin(client, klass, lateAfterMinutes=10)) == {"classId": str(klass.pk), "open": True}
    window = CheckInWindow.objects.get(session=session)
    assert window.is_open and window.late_after_minutes == 10
    closed = assert_ok(client.post("/attendance/check-in/close", {"classId": str(klass.pk)}, format="json"))
    assert closed == {"classId": str(klass.pk), "open": False}
    assert not CheckInWindow.objects.get(session=session).is_open
    assert heard == [("changed", {"open": True}), ("changed", {"open": False})]


def test_reopening_keeps_the_codes_and_takes_the_new_threshold(auth, teacher, klass, session, clock):
    client = auth(teacher)
    assert_ok(open_checkin(client, klass, lateAfterMinutes=5))
    first = code_now(client, klass)
    assert_ok(open_checkin(client, klass))
    assert code_now(client, klass) == first
    assert CheckInWindow.objects.get(session=session).late_after_minutes is None


@pytest.mark.parametrize("path", ["/attendance/check-in/open", "/attendance/check-in/close"])
def test_open_and_close_need_a_running_session(auth, teacher, klass, path):
    assert_error(auth(teacher).post(path, {"classId": str(klass.pk)}, format="json"), 404, Messages.WS_NO_SESSION)


@pytest.mark.parametrize("path", ["/attendance/check-in/open", "/attendance/check-in/close"])
def test_open_and_close_errors_in_the_contracts_order(api, auth, teacher, student, klass, session, path):
    body = {"classId": str(klass.pk)}
    assert_error(api.post(path, body, format="json"), 401, Messages.UNAUTHORIZED)
    assert_error(auth(student).post(path, body, format="json"), 403, Messages.TEACHER_REQUIRED)
    assert_error(auth(teacher).post(path, {}, format="json"), 400, Messages.INVALID_SCHEMA)
    for bad in BAD_IDS:
        assert_error(auth(teacher).post(path, {"classId": bad}, format="json"), 404, Messages.CLASS_NOT_FOUND)
    stranger = factories.make_teacher()
    assert_error(auth(stranger).post(path, body, format="json"), 403, Messages.NOT_CLASS_TEACHER)
    assert not CheckInWindow.objects.filter(is_open=True).exists()


@pytest.mark.parametrize("minutes", ["5", -1, 1441, 2.5, True, [], {}])
def test_a_bad_late_threshold_is_refused_and_opens_nothing(auth, teacher, klass, session, minutes):
    assert_error(open_checkin(auth(teacher), klass, lateAfterMinutes=minutes), 400, Messages.INVALID_SCHEMA)
    assert not CheckInWindow.objects.exists()


# --- GET /class/:id/check-in/code --------------------------------------------------------------


def test_the_code_rotates_every_period_and_says_when(auth, teacher, klass, session, clock):
    client = auth(teacher)
    assert_ok(open_checkin(client, klass))
    data = assert_ok(client.get(f"/class/{klass.pk}/check-in/code"))
    assert set(data) == {"code", "expiresAt", "rotateSeconds"}
    assert re.fullmatch(r"\d{6}", data["code"])
    assert data["rotateSeconds"] == 20
    assert ISO_MILLIS_Z.match(data["expiresAt"])
    assert data["expiresAt"] == "2030-03-17T17:47:00.000Z"  # T0 + 20 s
    clock.advance(5)
    assert code_now(client, klass) == data["code"]
    clock.advance(15)
    later = assert_ok(client.get(f"/class/{klass.pk}/check-in/code"))
    assert later["code"] != data["code"]
    assert later["expiresAt"] == "2030-03-17T17:47:20.000Z"


@override_settings(CHECKIN_ROTATE_SECONDS=30)
def test_the_period_follows_the_setting(auth, teacher, klass, session, clock):
    assert_ok(open_checkin(auth(teacher), klass))
    assert assert_ok(auth(teacher).get(f"/class/{klass.pk}/check-in/code"))["rotateSeconds"] == 30


def test_no_code_unless_check_in_is_open(auth, teacher, klass, session):
    client = auth(teacher)
    assert_error(client.get(f"/class/{klass.pk}/check-in/code"), 404, Messages.CHECKIN_NOT_OPEN)
    assert_ok(open_checkin(client, klass))
    assert_ok(client.post("/attendance/check-in/close", {"classId": str(klass.pk)}, format="json"))
    assert_error(client.get(f"/class/{klass.pk}/check-in/code"), 404, Messages.CHECKIN_NOT_OPEN)


def test_the_code_is_the_class_teachers_only(api, auth, teacher, student, klass, session):
    assert_ok(open_checkin(auth(teacher), klass))
    url = f"/class/{klass.pk}/check-in/code"
    assert_error(api.get(url), 401, Messages.UNAUTHORIZED)
    assert_error(auth(student).get(url), 403, Messages.TEACHER_REQUIRED)
    assert_error(auth(teacher).get("/class/someid/check-in/code"), 404, Messages.CLASS_NOT_FOUND)
    assert_error(auth(factories.make_teacher()).get(url), 403, Messages.NOT_CLASS_TEACHER)


def test_a_finished_session_has_no_code_and_keeps_nothing_of_check_in(auth, teacher, student, klass, session, clock):
    client = auth(teacher)
    assert_ok(open_checkin(client, klass))
    assert_error(check_in(auth(student), klass, wrong(code_now(client, klass))), 400, Messages.INVALID_CODE)
    assert CheckIn.objects.filter(session=session).exists()
    services.session_finish(session=session)
    assert_error(client.get(f"/class/{klass.pk}/check-in/code"), 404, Messages.CHECKIN_NOT_OPEN)
    assert not CheckIn.objects.exists()
    assert not CheckInWindow.objects.exists()


# --- POST /attendance/check-in -----------------------------------------------------------------


def test_the_current_code_marks_the_student_present(auth, teacher, student, klass, session, clock, heard):
    assert_ok(open_checkin(auth(teacher), klass))
    code = code_now(auth(teacher), klass)
    data = assert_ok(check_in(auth(student), klass, code))
    assert data == {"classId": str(klass.pk), "status": "present"}
    record = AttendanceRecord.objects.get(session=session, student=student)
    assert record.status == "present" and record.marked_by == student
    assert ("checked_in", str(student.pk), "present") in heard


def test_the_code_may_be_typed_with_a_space(auth, teacher, student, klass, session, clock):
    assert_ok(open_checkin(auth(teacher), klass))
    code = code_now(auth(teacher), klass)
    assert assert_ok(check_in(auth(student), klass, f"{code[:3]} {code[3:]}"))["status"] == "present"


def test_the_previous_code_is_valid_one_more_period_then_refused(auth, teacher, student, klass, session, clock):
    assert_ok(open_checkin(auth(teacher), klass))
    old = code_now(auth(teacher), klass)
    clock.advance(20)  # the projector shows the next code; the old one is still accepted
    assert assert_ok(check_in(auth(student), klass, old))["status"] == "present"
    clock.advance(20)  # rotation plus grace: refused
    late_student = klass_student(klass, exclude=student)
    assert_error(check_in(auth(late_student), klass, old), 400, Messages.INVALID_CODE)
    assert not AttendanceRecord.objects.filter(session=session, student=late_student).exists()


def klass_student(klass, *, exclude):
    from classes.selectors import roster

    return next(s for s in roster(klass=klass) if s.pk != exclude.pk)


def test_a_check_in_overrides_absent_but_keeps_present(auth, teacher, student, klass, session, clock):
    services.attendance_mark(session=session, student_id=str(student.pk), status="absent", by=teacher)
    assert_ok(open_checkin(auth(teacher), klass))
    assert assert_ok(check_in(auth(student), klass, code_now(auth(teacher), klass)))["status"] == "present"
    before = AttendanceRecord.objects.get(session=session, student=student).marked_at
    clock.advance(1)
    assert assert_ok(check_in(auth(student), klass, code_now(auth(teacher), klass)))["status"] == "present"
    assert AttendanceRecord.objects.get(session=session, student=student).marked_at == before


def test_late_once_the_teachers_threshold_has_passed(auth, teacher, student, klass, session, clock):
    classmate = klass_student(klass, exclude=student)
    assert_ok(open_checkin(auth(teacher), klass, lateAfterMinutes=10))
    clock.now = session.started_at.timestamp() + 9 * 60 + 59
    assert assert_ok(check_in(auth(student), klass, code_now(auth(teacher), klass)))["status"] == "present"
    clock.advance(1)
    assert assert_ok(check_in(auth(classmate), klass, code_now(auth(teacher), klass)))["status"] == "late"
    assert AttendanceRecord.objects.get(session=session, student=classmate).status == "late"


def test_zero_minutes_makes_every_check_in_late(auth, teacher, student, klass, session, clock):
    clock.now = session.started_at.timestamp()
    assert_ok(open_checkin(auth(teacher), klass, lateAfterMinutes=0))
    assert assert_ok(check_in(auth(student), klass, code_now(auth(teacher), klass)))["status"] == "late"


@pytest.mark.parametrize("kept", ["excused", "late", "present"])
def test_a_check_in_never_overrides_excused_late_or_present(auth, teacher, student, klass, session, clock, kept):
    services.attendance_mark(session=session, student_id=str(student.pk), status=kept, by=teacher)
    assert_ok(open_checkin(auth(teacher), klass))
    assert assert_ok(check_in(auth(student), klass, code_now(auth(teacher), klass)))["status"] == kept
    record = AttendanceRecord.objects.get(session=session, student=student)
    assert (record.status, record.marked_by) == (kept, teacher)
    assert str(student.pk) not in checkin.checkin_state_teacher(session)["checkedIn"]


def test_five_wrong_codes_then_429_even_for_the_right_one(auth, teacher, student, klass, session, clock):
    assert_ok(open_checkin(auth(teacher), klass))
    code = code_now(auth(teacher), klass)
    for _ in range(5):
        assert_error(check_in(auth(student), klass, wrong(code)), 400, Messages.INVALID_CODE)
    assert_error(check_in(auth(student), klass, code), 429, Messages.TOO_MANY_ATTEMPTS)
    assert not AttendanceRecord.objects.filter(session=session, student=student).exists()
    # Another student of the class is not held back by it.
    classmate = klass_student(klass, exclude=student)
    assert assert_ok(check_in(auth(classmate), klass, code))["status"] == "present"


def test_wrong_codes_are_counted_per_session(auth, teacher, student, klass, session, clock):
    assert_ok(open_checkin(auth(teacher), klass))
    code = code_now(auth(teacher), klass)
    for _ in range(5):
        check_in(auth(student), klass, wrong(code))
    services.session_finish(session=session)
    services.session_start(teacher=teacher, klass=klass)
    assert_ok(open_checkin(auth(teacher), klass))
    assert assert_ok(check_in(auth(student), klass, code_now(auth(teacher), klass)))["status"] == "present"


@pytest.mark.parametrize("code", ["", "12345", "abcdef", "1234567", " "])
def test_malformed_codes_are_invalid_and_count_as_wrong(auth, teacher, student, klass, session, clock, code):
    assert_ok(open_checkin(auth(teacher), klass))
    assert_error(check_in(auth(student), klass, code), 400, Messages.INVALID_CODE)
    assert CheckIn.objects.get(session=session, student=student).failed_attempts == 1


def test_check_in_errors_in_the_contracts_order(api, auth, teacher, student, klass, session, clock):
    assert_ok(open_checkin(auth(teacher), klass))
    code = code_now(auth(teacher), klass)
    body = {"classId": str(klass.pk), "code": code}
    assert_error(api.post("/attendance/check-in", body, format="json"), 401, Messages.UNAUTHORIZED)
    assert_error(auth(teacher).post("/attendance/check-in", body, format="json"), 403, Messages.STUDENT_REQUIRED)
    for bad_body in ({"classId": str(klass.pk)}, {"code": code}, {"classId": str(klass.pk), "code": 123456}):
        assert_error(auth(student).post("/attendance/check-in", bad_body, format="json"), 400, Messages.INVALID_SCHEMA)
    for bad in BAD_IDS:
        response = auth(student).post("/attendance/check-in", {"classId": bad, "code": code}, format="json")
        assert_error(response, 404, Messages.CLASS_NOT_FOUND)
    outsider = factories.make_student()
    assert_error(check_in(auth(outsider), klass, code), 403, Messages.NOT_ENROLLED)
    assert not AttendanceRecord.objects.exists()


def test_no_check_in_while_closed_or_without_a_session(auth, teacher, student, klass, clock):
    assert_error(check_in(auth(student), klass, "123456"), 404, Messages.CHECKIN_NOT_OPEN)
    session = services.session_start(teacher=teacher, klass=klass)
    assert_error(check_in(auth(student), klass, "123456"), 404, Messages.CHECKIN_NOT_OPEN)
    assert_ok(open_checkin(auth(teacher), klass))
    code = code_now(auth(teacher), klass)
    assert_ok(auth(teacher).post("/attendance/check-in/close", {"classId": str(klass.pk)}, format="json"))
    assert_error(check_in(auth(student), klass, code), 404, Messages.CHECKIN_NOT_OPEN)
    assert not AttendanceRecord.objects.filter(session=session).exists()


# --- Flags -------------------------------------------------------------------------------------


def flags_of(session):
    return checkin.checkin_flags(session=session)


def test_a_check_in_with_the_previous_code_at_its_last_second_is_flagged(auth, teacher, klass, session, clock):
    one, two = factories.make_student(), factories.make_student()
    for s in (one, two):
        klass_enroll(klass, s)
    assert_ok(open_checkin(auth(teacher), klass))
    old = code_now(auth(teacher), klass)
    clock.advance(20)  # two seconds into the next period: an honest latecomer
    assert_ok(check_in(auth(one), klass, old))
    clock.advance(15)  # three seconds before the previous code expires
    assert_ok(check_in(auth(two), klass, old))
    flags = flags_of(session)
    assert checkin.PREVIOUS_CODE not in flags.get(str(one.pk), [])
    assert checkin.PREVIOUS_CODE in flags[str(two.pk)]


def klass_enroll(klass, student):
    from classes.models import Enrollment

    Enrollment.objects.create(klass=klass, student=student)


def test_a_check_in_from_a_student_whose_page_was_never_open_is_flagged(auth, teacher, student, klass, session, clock):
    from asgiref.sync import async_to_sync

    from live import presence

    classmate = klass_student(klass, exclude=student)
    assert_ok(open_checkin(auth(teacher), klass))
    async_to_sync(presence.get_presence().add)(str(student.pk), "channel-1")
    try:
        assert_ok(check_in(auth(student), klass, code_now(auth(teacher), klass)))
        assert_ok(check_in(auth(classmate), klass, code_now(auth(teacher), klass)))
    finally:
        async_to_sync(presence.get_presence().remove)(str(student.pk), "channel-1")
    flags = flags_of(session)
    assert checkin.PAGE_NOT_OPEN not in flags.get(str(student.pk), [])
    assert checkin.PAGE_NOT_OPEN in flags[str(classmate.pk)]


def room_and_one_away(auth, teacher, klass, *, away_address: str, via_proxy: bool = False):
    """Three students check in from one network, a fourth from `away_address`: (room, away).

    `via_proxy`: every request comes from a proxy on 127.0.0.1 that names the client in X-Forwarded-For.
    """
    room = [factories.make_student() for _ in range(3)]
    away = factories.make_student()
    for s in [*room, away]:
        klass_enroll(klass, s)
    assert_ok(open_checkin(auth(teacher), klass))
    code = code_now(auth(teacher), klass)

    def origin(address: str) -> dict:
        if via_proxy:
            return {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": address}
        return {"REMOTE_ADDR": address}

    for number, s in enumerate(room, start=10):
        assert_ok(check_in(auth(s), klass, code, **origin(f"10.1.2.{number}")))
    assert_ok(check_in(auth(away), klass, code, **origin(away_address)))
    return room, away


def test_a_check_in_from_a_network_unlike_the_rooms_is_flagged(auth, teacher, klass, session, clock):
    room, away = room_and_one_away(auth, teacher, klass, away_address="203.0.113.7")
    flags = flags_of(session)
    assert checkin.OTHER_NETWORK in flags[str(away.pk)]
    assert all(checkin.OTHER_NETWORK not in flags.get(str(s.pk), []) for s in room)
    # Nothing about the address itself is kept, only a digest keyed by the session's secret.
    stored = CheckIn.objects.get(session=session, student=away)
    assert "203.0.113" not in stored.network and len(stored.network) == 32


@override_settings(CHECKIN_SCHOOL_NETWORKS=["203.0.113.0/24"])
def test_the_schools_own_networks_are_never_flagged(auth, teacher, klass, session, clock):
    _, wired = room_and_one_away(auth, teacher, klass, away_address="203.0.113.7")
    assert checkin.OTHER_NETWORK not in flags_of(session).get(str(wired.pk), [])


def test_students_all_on_different_networks_are_not_flagged(auth, teacher, klass, session, clock):
    students = [factories.make_student() for _ in range(3)]
    for s in students:
        klass_enroll(klass, s)
    assert_ok(open_checkin(auth(teacher), klass))
    code = code_now(auth(teacher), klass)
    for number, s in enumerate(students, start=1):
        assert_ok(check_in(auth(s), klass, code, REMOTE_ADDR=f"198.51.{number}.9"))
    assert all(checkin.OTHER_NETWORK not in reasons for reasons in flags_of(session).values())


def test_the_flags_never_change_a_status(auth, teacher, klass, session, clock):
    away = factories.make_student()
    klass_enroll(klass, away)
    assert_ok(open_checkin(auth(teacher), klass))
    assert assert_ok(check_in(auth(away), klass, code_now(auth(teacher), klass)))["status"] == "present"
    assert flags_of(session)[str(away.pk)] == [checkin.PAGE_NOT_OPEN]
    assert AttendanceRecord.objects.get(session=session, student=away).status == "present"


# --- POST /attendance/claim --------------------------------------------------------------------


def test_a_claim_waits_for_the_teacher_and_any_later_mark_settles_it(auth, teacher, student, klass, session, heard):
    assert assert_ok(claim(auth(student), klass)) == {"classId": str(klass.pk), "claimed": True}
    assert heard == [("claim", str(student.pk))]
    assert checkin.checkin_state_teacher(session)["claims"] == [str(student.pk)]
    assert checkin.checkin_state_student(session, student)["claimed"] is True
    # A second tap while it waits tells the teacher nothing new.
    assert_ok(claim(auth(student), klass))
    assert heard == [("claim", str(student.pk))]
    services.attendance_mark(session=session, student_id=str(student.pk), status="absent", by=teacher)
    assert checkin.checkin_state_teacher(session)["claims"] == []
    assert checkin.checkin_state_student(session, student)["claimed"] is False


def test_claims_are_limited_per_session(auth, teacher, student, klass, session):
    for _ in range(checkin.MAX_CLAIMS):
        assert_ok(claim(auth(student), klass))
        services.attendance_mark(session=session, student_id=str(student.pk), status="absent", by=teacher)
    assert_error(claim(auth(student), klass), 429, Messages.TOO_MANY_ATTEMPTS)
    assert checkin.checkin_state_teacher(session)["claims"] == []


def test_a_student_marked_present_has_nothing_to_claim(auth, teacher, student, klass, session, heard):
    services.attendance_mark(session=session, student_id=str(student.pk), status="present", by=teacher)
    assert_error(claim(auth(student), klass), 409, Messages.ALREADY_HERE)
    assert heard == []


def test_a_late_student_has_nothing_to_claim_but_an_excused_one_may(auth, teacher, student, klass, session):
    services.attendance_mark(session=session, student_id=str(student.pk), status="late", by=teacher)
    assert_error(claim(auth(student), klass), 409, Messages.ALREADY_HERE)
    services.attendance_mark(session=session, student_id=str(student.pk), status="excused", by=teacher)
    assert_ok(claim(auth(student), klass))
    assert checkin.checkin_state_teacher(session)["claims"] == [str(student.pk)]


def test_claims_end_with_the_session(auth, teacher, student, klass, session):
    assert_ok(claim(auth(student), klass))
    services.session_finish(session=session)
    assert_error(claim(auth(student), klass), 404, Messages.WS_NO_SESSION)
    assert not CheckIn.objects.exists()
    services.session_start(teacher=teacher, klass=klass)
    assert checkin.checkin_state_teacher(checkin.session_active(klass=klass))["claims"] == []


def test_claim_errors_in_the_contracts_order(api, auth, teacher, student, klass, session):
    body = {"classId": str(klass.pk)}
    assert_error(api.post("/attendance/claim", body, format="json"), 401, Messages.UNAUTHORIZED)
    assert_error(auth(teacher).post("/attendance/claim", body, format="json"), 403, Messages.STUDENT_REQUIRED)
    assert_error(auth(student).post("/attendance/claim", {}, format="json"), 400, Messages.INVALID_SCHEMA)
    for bad in BAD_IDS:
        response = auth(student).post("/attendance/claim", {"classId": bad}, format="json")
        assert_error(response, 404, Messages.CLASS_NOT_FOUND)
    assert_error(claim(auth(factories.make_student()), klass), 403, Messages.NOT_ENROLLED)
    assert not CheckIn.objects.exists()


def test_no_claim_without_a_running_session(auth, student, klass):
    assert_error(claim(auth(student), klass), 404, Messages.WS_NO_SESSION)


def test_leftovers_of_ended_sessions_are_purged_by_the_scheduled_command(teacher, student, klass, session):
    CheckInWindow.objects.create(session=session, secret=codes.new_secret(), is_open=True)
    CheckIn.objects.create(session=session, student=student, failed_attempts=2)
    out = io.StringIO()
    call_command("finish_stale_sessions", stdout=out)
    assert CheckIn.objects.exists() and "check-in" not in out.getvalue()  # still running: kept
    type(session).objects.filter(pk=session.pk).update(is_active=False)  # ended without its announcement
    call_command("finish_stale_sessions", stdout=out)
    assert "Deleted the check-in data of 1 ended session(s)." in out.getvalue()
    assert not CheckIn.objects.exists() and not CheckInWindow.objects.exists()


@pytest.mark.parametrize(("proxies", "flagged"), [(["127.0.0.1"], True), ([], False)])
def test_forwarded_addresses_count_only_from_a_trusted_proxy(auth, teacher, klass, session, clock, proxies, flagged):
    with override_settings(TRUSTED_PROXIES=proxies):
        _, away = room_and_one_away(auth, teacher, klass, away_address="198.51.100.4", via_proxy=True)
    assert (checkin.OTHER_NETWORK in flags_of(session)[str(away.pk)]) is flagged
