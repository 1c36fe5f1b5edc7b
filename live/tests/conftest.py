"""Fixtures shared by the live transport's tests."""

import pytest

from attendance import services
from tests.factories import make_class, make_student, make_teacher


@pytest.fixture
def room():
    """A teacher with two classes (Biology: Alice and Bob, running; Chemistry: Bob, not running)."""
    teacher = make_teacher()
    alice, bob = make_student(name="Alice"), make_student(name="Bob")
    klass = make_class(teacher=teacher, students=[alice, bob], name="Biology")
    other = make_class(teacher=teacher, students=[bob], name="Chemistry")
    session = services.session_start(teacher=teacher, klass=klass)
    return {"teacher": teacher, "alice": alice, "bob": bob, "klass": klass, "other": other, "session": session}
