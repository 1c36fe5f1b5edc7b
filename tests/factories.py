"""Test data builders shared by every app's tests."""

import itertools
from datetime import timedelta

from accounts.models import Role, User
from accounts.tokens import issue_tokens
from classes.models import Class, Enrollment

PASSWORD = "secret-pass"
_counter = itertools.count(1)


def make_user(*, role: str = Role.STUDENT, name: str | None = None, email: str | None = None, **fields) -> User:
    """Create a user with PASSWORD."""
    n = next(_counter)
    return User.objects.create_user(
        email=email or f"{role}{n}@school.test",
        password=PASSWORD,
        name=name or f"{role.title()} {n}",
        role=role,
        **fields,
    )


def make_teacher(**fields) -> User:
    return make_user(role=Role.TEACHER, **fields)


def make_student(**fields) -> User:
    return make_user(role=Role.STUDENT, **fields)


def make_class(*, teacher: User | None = None, students: list[User] = (), name: str = "Maths") -> Class:
    """Create a class with its roster."""
    klass = Class.objects.create(teacher=teacher or make_teacher(), class_name=name)
    for student in students:
        Enrollment.objects.create(klass=klass, student=student)
    return klass


def token_for(user: User) -> str:
    """Return an access token for a user."""
    return issue_tokens(user)["token"]


def signed_in(user):
    """Return a page client signed in as `user` (session cookie)."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def finished_session(klass: Class, marks: dict, *, days_ago: int = 0):
    """Run a session through the services: mark {student: status}, finish, date it back."""
    from attendance import services
    from attendance.models import AttendanceSession

    session = services.session_start(teacher=klass.teacher, klass=klass)
    for student, status in marks.items():
        services.attendance_mark(session=session, student_id=str(student.pk), status=status, by=klass.teacher)
    services.session_finish(session=session)
    if days_ago:
        moved = session.started_at - timedelta(days=days_ago)
        AttendanceSession.objects.filter(pk=session.pk).update(started_at=moved, ended_at=moved + timedelta(minutes=5))
        session.refresh_from_db()
    return session
