"""Writes on classes and rosters."""

from django.db import IntegrityError

from accounts.models import Role, User
from attendance_project.errors import Messages
from attendance_project.ids import get_by_id
from attendance_project.transactions import atomic, on_commit
from classes.models import Class, Enrollment


def class_create(*, teacher: User, class_name: str) -> Class:
    """Create an empty class for a teacher."""
    return Class.objects.create(teacher=teacher, class_name=class_name)


def enrollment_add(*, klass: Class, student_id: object) -> User:
    """Put a student on the roster once; a non-student (or deactivated) id is the contract's 404."""
    students = User.objects.filter(role=Role.STUDENT, is_active=True)
    student = get_by_id(students, student_id, Messages.STUDENT_NOT_FOUND)
    try:
        with atomic():
            _, created = Enrollment.objects.get_or_create(klass=klass, student=student)
            if created:
                on_commit(lambda: _announce(klass, student))
    except IntegrityError:
        pass  # a concurrent add of the same student won; one entry is what we want
    return student


def enrollment_remove(*, klass: Class, student: User) -> bool:
    """Take a student off the roster; their past records stay."""
    with atomic():
        deleted, _ = Enrollment.objects.filter(klass=klass, student=student).delete()
        if deleted:
            on_commit(lambda: _announce_removal(klass, student))
    return deleted > 0


def _announce(klass: Class, student: User) -> None:
    from live.broadcast import announce_enrollment

    announce_enrollment(class_id=str(klass.pk), student_id=str(student.pk))


def _announce_removal(klass: Class, student: User) -> None:
    from live.broadcast import announce_unenrollment

    announce_unenrollment(class_id=str(klass.pk), student_id=str(student.pk))
