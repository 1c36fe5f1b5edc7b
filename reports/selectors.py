"""Reads on standings: a student's in one class, every student's of a class for its teacher."""

from accounts.models import User
from classes.models import Class
from classes.selectors import roster
from reports.history import student_rates
from reports.standing import Level, Standing

# The teacher's list: below first, then at risk, then the rest; the lowest rate first within each.
_LEVEL_ORDER = {Level.BELOW: 0, Level.AT_RISK: 1, Level.OK: 2, Level.OFF: 2}


def standing_sort_key(standing: Standing, name: str, email: str) -> tuple:
    rate = standing.exact_rate
    return (_LEVEL_ORDER[standing.level], rate if rate is not None else 2, name.lower(), email)


def class_standings(*, klass: Class) -> list[tuple[User, Standing]]:
    """Return every enrolled student with their standing, those who need attention first."""
    students = roster(klass=klass)
    rates = student_rates(klass=klass, students=students)
    rows = [(student, rates[str(student.pk)].standing) for student in students]
    return sorted(rows, key=lambda row: standing_sort_key(row[1], row[0].name, row[0].email))


def student_standing(*, klass: Class, student: User) -> Standing:
    """Return a student's standing in one class."""
    return student_rates(klass=klass, students=[student])[str(student.pk)].standing
