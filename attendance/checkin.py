"""Self check-in with rotating codes, "I'm here" claims, and the flags a teacher may want to look at.

The rules:
- The teacher opens check-in on a running session (optionally with a late threshold) and
  shows the code (attendance.codes) on the projector; students never receive it over a socket.
- A student who sends the current or the previous period's code is marked through
  `attendance_mark`: present, or late once the threshold has passed. An excused, present
  or late student keeps that status. After MAX_WRONG_CODES wrong codes in one session a
  student gets 429 whatever they send.
- A student not yet here may claim "I'm here" (at most MAX_CLAIMS times a session); any
  later mark of that student settles the claim.
- Flags never change a status: they tell the teacher which check-ins may deserve a look.

What is stored lives only as long as the session: when it ends, its window and check-in
rows are deleted (`checkin_purge`).
"""

import hashlib
import hmac
import ipaddress
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError
from django.db.models import F
from django.dispatch import Signal

from accounts.models import User
from attendance import codes, events
from attendance.models import AttendanceRecord, AttendanceSession, CheckIn, CheckInWindow, Status
from attendance.selectors import iso_millis, session_active
from attendance.services import _now as services_now
from attendance.services import attendance_mark
from classes.models import Class
from core.errors import ApplicationError, Messages
from core.events import send_after_commit
from core.transactions import run_atomic

MAX_WRONG_CODES = 5
MAX_CLAIMS = 3
MAX_LATE_AFTER_MINUTES = 24 * 60

# Reasons a check-in may deserve a look (never a penalty).
SAME_BROWSER = "same-browser"
PREVIOUS_CODE = "previous-code"
PAGE_NOT_OPEN = "page-not-open"
OTHER_NETWORK = "other-network"

# Asked at each check-in whether the student's live page was open at some point since the session
# started; a receiver (the live transport, which knows who is connected) answers True or False
# for `user_id` (a string) and `since` (an aware datetime). No answer: nobody can tell, no flag.
page_seen_requested = Signal()

# A student marked so is in the room: nothing to claim.
HERE = {Status.PRESENT.value, Status.LATE.value}
# A check-in never changes these (it overrides unmarked and absent only).
KEPT = HERE | {Status.EXCUSED.value}


def clock() -> float:
    """Return the current Unix time (tests move it)."""
    return time.time()


def rotate_seconds() -> int:
    """Return how many seconds each code is shown."""
    return settings.CHECKIN_ROTATE_SECONDS


def _running(klass: Class) -> AttendanceSession:
    session = session_active(klass=klass)
    if session is None:
        raise ApplicationError(Messages.WS_NO_SESSION, 404)
    return session


def _open_window(klass: Class) -> tuple[AttendanceSession, CheckInWindow]:
    session = session_active(klass=klass)
    window = CheckInWindow.objects.filter(session=session, is_open=True).first() if session else None
    if window is None:
        raise ApplicationError(Messages.CHECKIN_NOT_OPEN, 404)
    return session, window


# Teacher ---------------------------------------------------------------------------------


def checkin_open(*, klass: Class, late_after_minutes: int | None = None) -> CheckInWindow:
    """Open self check-in on the class's running session (again: same codes, new threshold)."""
    session = _running(klass)

    def write() -> CheckInWindow:
        window = CheckInWindow.objects.filter(session=session).first()
        if window is None:
            window = CheckInWindow(session=session, secret=codes.new_secret())
        window.is_open = True
        window.late_after_minutes = late_after_minutes
        window.save()
        send_after_commit(events.checkin_changed, session=session, state={"open": True})
        return window

    try:
        return run_atomic(write)
    except IntegrityError:
        # A concurrent open created the window first: open that one.
        return checkin_open(klass=klass, late_after_minutes=late_after_minutes)


def checkin_close(*, klass: Class) -> None:
    """Close self check-in on the class's running session; codes are refused from now on."""
    session = _running(klass)
    CheckInWindow.objects.filter(session=session).update(is_open=False)
    send_after_commit(events.checkin_changed, session=session, state={"open": False})


def checkin_code(*, klass: Class) -> dict:
    """Return the code to show now, when it is replaced, and the rotation period."""
    _, window = _open_window(klass)
    rotate = rotate_seconds()
    period = codes.period_of(clock(), rotate)
    expires = datetime.fromtimestamp((period + 1) * rotate, tz=UTC)
    return {"code": codes.code_for(window.secret, period), "expiresAt": iso_millis(expires), "rotateSeconds": rotate}


# Student ---------------------------------------------------------------------------------


def _checkin_row(session: AttendanceSession, student: User) -> CheckIn:
    try:
        row, _ = CheckIn.objects.get_or_create(session=session, student=student)
    except IntegrityError:
        row = CheckIn.objects.get(session=session, student=student)
    return row


def _status_of(session: AttendanceSession, student: User) -> AttendanceRecord | None:
    return AttendanceRecord.objects.filter(session=session, student=student).only("status", "marked_at").first()


def checkin_submit(*, klass: Class, student: User, code: object, device: str = "", address: str = "") -> dict[str, str]:
    """Check a student in with a code; return {classId, status}.

    `device` is the browser's own random id (empty for API clients), `address` the client's
    address (core.client_address): both are kept only as digests keyed by the session's secret.
    """
    session, window = _open_window(klass)
    row = _checkin_row(session, student)
    if row.failed_attempts >= MAX_WRONG_CODES:
        raise ApplicationError(Messages.TOO_MANY_ATTEMPTS, 429)
    moment = clock()
    match = codes.verify(window.secret, code, moment=moment, rotate_seconds=rotate_seconds())
    if not match.valid:
        CheckIn.objects.filter(pk=row.pk).update(failed_attempts=F("failed_attempts") + 1)
        raise ApplicationError(Messages.INVALID_CODE, 400)
    record = _status_of(session, student)
    if record is not None and record.status in KEPT:
        return {"classId": str(klass.pk), "status": record.status}
    status = _checkin_status(session, window, moment)
    record = attendance_mark(session=session, student_id=str(student.pk), status=status, by=student)
    network = _network_of(address)
    signals = {
        "checked_in_at": record.marked_at,
        "device": _digest(window.secret, "device", device) if device else "",
        "network": _digest(window.secret, "network", network) if network else "",
        "on_school_network": _on_school_network(address),
        # The previous period's code in the last quarter of its grace: read late, perhaps relayed.
        "previous_code_at_last_second": match.previous and match.seconds_left <= rotate_seconds() / 4,
        "page_seen": _page_seen(student, session),
    }
    CheckIn.objects.filter(pk=row.pk).update(**signals)
    send_after_commit(events.checked_in, session=session, record=record, teacher_state=checkin_state_teacher(session))
    return {"classId": str(klass.pk), "status": record.status}


def _checkin_status(session: AttendanceSession, window: CheckInWindow, moment: float) -> str:
    threshold = late_threshold(session, window)
    if threshold is not None and moment >= threshold.timestamp():
        return Status.LATE.value
    return Status.PRESENT.value


def claim_make(*, klass: Class, student: User) -> None:
    """Tell the teacher a student not marked present or late is here; a pending claim is not repeated."""
    session = _running(klass)
    record = _status_of(session, student)
    if record is not None and record.status in HERE:
        raise ApplicationError(Messages.ALREADY_HERE, 409)
    row = _checkin_row(session, student)
    if _claim_pending(row, record):
        return
    if row.claims >= MAX_CLAIMS:
        raise ApplicationError(Messages.TOO_MANY_ATTEMPTS, 429)
    now = services_now()
    touched = CheckIn.objects.filter(pk=row.pk, claims__lt=MAX_CLAIMS).update(claimed_at=now, claims=F("claims") + 1)
    if not touched:
        raise ApplicationError(Messages.TOO_MANY_ATTEMPTS, 429)
    send_after_commit(events.claim_made, session=session, student=student)


def _claim_pending(row: CheckIn, record: AttendanceRecord | None) -> bool:
    # Any mark made after the claim settles it.
    if row.claimed_at is None:
        return False
    return record is None or record.marked_at < row.claimed_at


# Reads -----------------------------------------------------------------------------------


def checkin_flags(*, session: AttendanceSession) -> dict[str, list[str]]:
    """Return {studentId: [reasons]} for every check-in of the session that may deserve a look."""
    rows = list(CheckIn.objects.filter(session=session, checked_in_at__isnull=False))
    browsers: dict[str, set] = {}
    for row in rows:
        if row.device:
            browsers.setdefault(row.device, set()).add(row.student_id)
    networks = Counter(row.network for row in rows if row.network and not row.on_school_network)
    on_school = sum(1 for row in rows if row.on_school_network)
    located = on_school + sum(networks.values())
    # The room: the school's networks or the one network most check-ins came from.
    room = max(on_school, max(networks.values(), default=0))
    flags: dict[str, list[str]] = {}
    for row in rows:
        reasons = []
        if row.device and len(browsers[row.device]) > 1:
            reasons.append(SAME_BROWSER)
        if row.previous_code_at_last_second:
            reasons.append(PREVIOUS_CODE)
        if row.page_seen is False:
            reasons.append(PAGE_NOT_OPEN)
        alone = row.network and not row.on_school_network and networks[row.network] == 1
        if alone and room >= 2 and room * 2 >= located:
            reasons.append(OTHER_NETWORK)
        if reasons:
            flags[str(row.student_id)] = reasons
    return flags


def checkin_state_teacher(session: AttendanceSession) -> dict:
    """What the teacher's pages show of check-in: open, threshold, who checked in, flags, claims."""
    window = CheckInWindow.objects.filter(session=session).first()
    rows = list(CheckIn.objects.filter(session=session))
    marked_at = dict(AttendanceRecord.objects.filter(session=session).values_list("student_id", "marked_at"))
    claims = [
        str(row.student_id)
        for row in rows
        if row.claimed_at is not None
        and (row.student_id not in marked_at or marked_at[row.student_id] < row.claimed_at)
    ]
    return {
        "open": bool(window and window.is_open),
        "lateAfterMinutes": window.late_after_minutes if window else None,
        "rotateSeconds": rotate_seconds(),
        "checkedIn": sorted(str(row.student_id) for row in rows if row.checked_in_at is not None),
        "flags": checkin_flags(session=session),
        "claims": sorted(claims),
    }


def checkin_state_student(session: AttendanceSession, student: User) -> dict:
    """What a student's page shows of check-in: whether it is open and whether their claim waits."""
    row = CheckIn.objects.filter(session=session, student=student).first()
    return {
        "open": CheckInWindow.objects.filter(session=session, is_open=True).exists(),
        "claimed": bool(row and _claim_pending(row, _status_of(session, student))),
    }


# Housekeeping ----------------------------------------------------------------------------


def checkin_purge(*, session: AttendanceSession) -> None:
    """Delete everything check-in kept about a session (it has ended)."""
    CheckIn.objects.filter(session=session).delete()
    CheckInWindow.objects.filter(session=session).delete()


def checkin_purge_ended() -> int:
    """Delete the check-in data of every ended session still holding some; return how many sessions."""
    ended = set(CheckIn.objects.filter(session__is_active=False).values_list("session_id", flat=True))
    ended |= set(CheckInWindow.objects.filter(session__is_active=False).values_list("session_id", flat=True))
    for session_id in ended:
        CheckIn.objects.filter(session_id=session_id).delete()
        CheckInWindow.objects.filter(session_id=session_id).delete()
    return len(ended)


def _on_session_finished(*, session: AttendanceSession, **kwargs) -> None:
    checkin_purge(session=session)


def connect() -> None:
    """Delete a session's check-in data as soon as it ends."""
    events.session_finished.connect(_on_session_finished, dispatch_uid="attendance.checkin.purge")


# Signals ---------------------------------------------------------------------------------


def _digest(secret: str, kind: str, value: str) -> str:
    return hmac.new(secret.encode(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:32]


def _address(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _network_of(address: str) -> str:
    """Return the network an address belongs to: its /24 (IPv4) or /64 (IPv6)."""
    ip = _address(address)
    if ip is None:
        return ""
    prefix = 24 if ip.version == 4 else 64
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def _on_school_network(address: str) -> bool:
    ip = _address(address)
    if ip is None:
        return False
    for entry in settings.CHECKIN_SCHOOL_NETWORKS:
        network = ipaddress.ip_network(entry, strict=False)
        if ip.version == network.version and ip in network:
            return True
    return False


def _page_seen(student: User, session: AttendanceSession) -> bool | None:
    for _, answer in page_seen_requested.send_robust(sender=None, user_id=str(student.pk), since=session.started_at):
        if isinstance(answer, bool):
            return answer
    return None


def late_threshold(session: AttendanceSession, window: CheckInWindow) -> datetime | None:
    """Return when a check-in starts counting as late, if the teacher set a threshold."""
    if window.late_after_minutes is None:
        return None
    return session.started_at + timedelta(minutes=window.late_after_minutes)
