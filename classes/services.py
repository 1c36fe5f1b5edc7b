"""Writes on classes and rosters."""

import contextlib

from django.db import IntegrityError
from django.utils import timezone

from accounts.models import Role, User
from classes import events
from classes.models import Class, Enrollment
from core.errors import ApplicationError, Messages
from core.events import send_after_commit
from core.ids import get_by_id
from core.transactions import atomic, run_atomic

MAX_CLASS_NAME = Class._meta.get_field("class_name").max_length


def class_create(*, teacher: User, class_name: str) -> Class:
    """Create an empty class for a teacher."""
    return Class.objects.create(teacher=teacher, class_name=class_name)


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
