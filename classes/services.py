"""Writes on classes and rosters."""

import contextlib
import secrets
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.db import IntegrityError
from django.utils import timezone

from accounts import throttling
from accounts.models import Role, User
from classes import events
from classes.models import Class, Enrollment, JoinCode
from classes.roster_import import RosterLine
from core import timezones
from core.errors import ApplicationError, Messages
from core.events import send_after_commit
from core.ids import get_by_id
from core.transactions import atomic, run_atomic

MAX_CLASS_NAME = Class._meta.get_field("class_name").max_length


def class_create(*, teacher: User, class_name: str) -> Class:
    """Create an empty class for a teacher."""
    return Class.objects.create(teacher=teacher, class_name=class_name)


def class_time_zone_set(*, klass: Class, time_zone: object) -> Class:
    """Set the zone a class's session times are shown in (an IANA name such as Europe/Paris)."""
    if not timezones.is_zone(time_zone):
        raise ApplicationError(Messages.INVALID_TIME_ZONE, 400)
    Class.objects.filter(pk=klass.pk).update(time_zone=time_zone)
    klass.time_zone = time_zone
    return klass


def enrollment_add(*, klass: Class, student_id: object) -> User:
    """Put a student on the roster once; a non-student (or deactivated) id is the contract's 404."""
    students = User.objects.filter(role=Role.STUDENT, is_active=True)
    student = get_by_id(students, student_id, Messages.STUDENT_NOT_FOUND)

    def add() -> None:
        # Not get_or_create: its retry-read after a duplicate cannot run in an aborted MongoDB transaction.
        if not Enrollment.objects.filter(klass=klass, student=student).exists():
            Enrollment.objects.create(klass=klass, student=student)
            send_after_commit(events.student_enrolled, klass=klass, student=student)

    # A concurrent add of the same student may win the race; one entry is what we want.
    with contextlib.suppress(IntegrityError):
        run_atomic(add)
    return student


def enrollment_remove(*, klass: Class, student: User) -> bool:
    """Take a student off the roster; their past records stay."""
    with atomic():
        deleted, _ = Enrollment.objects.filter(klass=klass, student=student).delete()
        if deleted:
            send_after_commit(events.student_unenrolled, klass=klass, student=student)
    return deleted > 0


def enrollment_leave(*, klass: Class, student: User) -> None:
    """A student leaves a class (refused while its session runs); their past records stay."""
    events.check_change_allowed(klass=klass, action=events.LEAVE, student=student)
    enrollment_remove(klass=klass, student=student)


def class_rename(*, klass: Class, class_name: str) -> Class:
    """Give a class a new name (surrounding blanks dropped; an empty name is the contract's 400)."""
    class_name = class_name.strip()
    if not class_name or len(class_name) > MAX_CLASS_NAME:
        raise ApplicationError(Messages.INVALID_SCHEMA, 400)

    def write() -> None:
        klass.class_name = class_name
        klass.save(update_fields=["class_name"])
        send_after_commit(events.class_renamed, klass=klass, student_ids=_student_ids(klass))

    run_atomic(write)
    return klass


def class_archive(*, klass: Class) -> Class:
    """Hide a class from its teacher's dashboard and its students' pages; its history stays.

    Refused (409) while its session runs. Archiving an archived class changes nothing.
    """
    if klass.archived:
        return klass
    events.check_change_allowed(klass=klass, action=events.ARCHIVE)

    def write() -> None:
        klass.archived_at = timezone.now()
        klass.save(update_fields=["archived_at"])
        send_after_commit(events.class_archived, klass=klass, student_ids=_student_ids(klass))

    run_atomic(write)
    return klass


def class_restore(*, klass: Class) -> Class:
    """Bring an archived class back to the dashboard and its students' pages."""
    if not klass.archived:
        return klass

    def write() -> None:
        klass.archived_at = None
        klass.save(update_fields=["archived_at"])
        send_after_commit(events.class_restored, klass=klass, student_ids=_student_ids(klass))

    run_atomic(write)
    return klass


def class_delete(*, klass: Class) -> None:
    """Delete a class with its roster, sessions and records (refused, 409, while its session runs)."""
    events.check_change_allowed(klass=klass, action=events.DELETE)
    class_id, teacher_id = str(klass.pk), str(klass.teacher_id)

    def write() -> None:
        student_ids = _student_ids(klass)
        klass.delete()
        send_after_commit(events.class_deleted, class_id=class_id, teacher_id=teacher_id, student_ids=student_ids)

    run_atomic(write)


def _student_ids(klass: Class) -> list[str]:
    return [str(pk) for pk in Enrollment.objects.filter(klass=klass).values_list("student_id", flat=True)]


# Join codes ------------------------------------------------------------------------------

# No 0/O, 1/I/L, 5/S, 8/B: a code read off a projector or a phone is typed right the first time.
JOIN_CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY234679"
JOIN_CODE_LENGTH = 8


def normalize_join_code(raw: str) -> str:
    """Return a typed code as stored: capitals, without the spaces and dashes people add."""
    return "".join(raw.split()).replace("-", "").upper()


def join_code_set(*, klass: Class) -> JoinCode:
    """Give the class a new join code; the code it had stops working."""

    def write() -> JoinCode:
        code = "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))
        JoinCode.objects.filter(klass=klass).delete()
        return JoinCode.objects.create(klass=klass, code=code)

    for _ in range(5):
        try:
            return run_atomic(write)
        except IntegrityError:
            continue  # the code drawn is another class's (or a racing call won): draw again
    raise ApplicationError(Messages.INTERNAL, 500)


def join_code_clear(*, klass: Class) -> None:
    """Turn joining by code off for the class."""
    JoinCode.objects.filter(klass=klass).delete()


def join_code_lookup(*, student: User, code: object, client: str = "") -> Class:
    """Return the class a join code names, for a student about to join it.

    Wrong codes count per student and per client address (429 once either is used up), so
    nobody walks through the code space, by the API or the join page.
    """
    window = settings.JOIN_FAILURE_WINDOW_SECONDS
    limits = [
        (("join-failures", str(student.pk)), settings.JOIN_FAILURE_LIMIT),
        (("join-client-failures", client), settings.JOIN_CLIENT_FAILURE_LIMIT),
    ]
    if any(throttling.limit_reached(*key, limit=limit, window=window) for key, limit in limits):
        raise ApplicationError(Messages.TOO_MANY_JOIN_ATTEMPTS, 429)
    normalized = normalize_join_code(code) if isinstance(code, str) else ""
    found = JoinCode.objects.filter(code=normalized).select_related("klass").first() if normalized else None
    if found is not None and found.klass.archived:
        found = None  # an archived class is hidden from students: its code does not work meanwhile
    if found is None:
        for key, limit in limits:
            throttling.attempt_record(*key, limit=limit, window=window)
        raise ApplicationError(Messages.INVALID_JOIN_CODE, 404)
    return found.klass


def class_join(*, student: User, code: object, client: str = "") -> Class:
    """Enroll a student in the class a join code names; joining twice is not an error."""
    klass = join_code_lookup(student=student, code=code, client=client)
    enrollment_add(klass=klass, student_id=str(student.pk))
    return klass


# Roster import ---------------------------------------------------------------------------


class ImportResult(StrEnum):
    """What importing did with one line of a roster."""

    ADDED = "added"
    ALREADY_ENROLLED = "already_enrolled"
    UNKNOWN_EMAIL = "unknown_email"
    NOT_A_STUDENT = "not_a_student"


@dataclass(frozen=True)
class ImportRow:
    line: int
    email: str
    name: str
    result: ImportResult
    student: User | None = None


def roster_import(*, klass: Class, people: list[RosterLine]) -> list[ImportRow]:
    """Enroll every known student account a roster names, in one transaction; report each line.

    Emails without an account, or with a deactivated one, come back as `unknown_email` (to be
    sent the join link); teachers' emails as `not_a_student`.
    """
    users = {user.email: user for user in User.objects.filter(email__in=[person.email for person in people])}

    def write() -> list[ImportRow]:
        enrolled = set(Enrollment.objects.filter(klass=klass).values_list("student_id", flat=True))
        rows = []
        for person in people:
            user = users.get(person.email)
            if user is None or not user.is_active:
                result, user = ImportResult.UNKNOWN_EMAIL, None
            elif user.role != Role.STUDENT:
                result, user = ImportResult.NOT_A_STUDENT, None
            elif user.pk in enrolled:
                result = ImportResult.ALREADY_ENROLLED
            else:
                Enrollment.objects.create(klass=klass, student=user)
                enrolled.add(user.pk)
                send_after_commit(events.student_enrolled, klass=klass, student=user)
                result = ImportResult.ADDED
            rows.append(ImportRow(line=person.line, email=person.email, name=person.name, result=result, student=user))
        return rows

    try:
        return run_atomic(write)
    except IntegrityError:
        # A student was added elsewhere meanwhile: nothing of this import was kept; read it again.
        return run_atomic(write)
