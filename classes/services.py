"""Writes on classes and rosters."""

import contextlib

from django.db import IntegrityError

from accounts.models import Role, User
from classes import events
from classes.models import Class, Enrollment
from core.errors import Messages
from core.events import send_after_commit
from core.ids import get_by_id
from core.transactions import atomic, run_atomic


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
