"""Reads on classes and rosters."""

from django.db import connection

from accounts.models import Role, User
from classes.models import Class, Enrollment, JoinCode
from core.errors import ApplicationError, Messages
from core.ids import get_by_id
from core.sql import placeholders, rows, uses_sql


def class_get(*, class_id: object) -> Class:
    """Return the class an id names, or the contract's 404."""
    return get_by_id(Class.objects.all(), class_id, Messages.CLASS_NOT_FOUND)


def roster_ids(*, klass: Class) -> list:
    """Return the keys of every student enrolled in a class."""
    return list(Enrollment.objects.filter(klass=klass).values_list("student_id", flat=True))


def roster(*, klass: Class) -> list[User]:
    """Return the enrolled students, by name."""
    return list(User.objects.filter(pk__in=roster_ids(klass=klass)).order_by("name", "email"))


def is_enrolled(*, klass: Class, user: User) -> bool:
    """Tell whether a user is on a class's roster."""
    return Enrollment.objects.filter(klass=klass, student=user).exists()


def class_for_viewer(*, class_id: object, user: User) -> Class:
    """Return a class its teacher or an enrolled student may read; others get 403."""
    klass = class_get(class_id=class_id)
    if klass.teacher_id == user.pk:
        return klass
    if user.role == Role.STUDENT and is_enrolled(klass=klass, user=user):
        return klass
    raise ApplicationError(Messages.NOT_CLASS_TEACHER, 403)


def class_owned(*, class_id: object, teacher: User) -> Class:
    """Return a class the teacher owns: 404 when unknown, 403 when someone else's."""
    klass = class_get(class_id=class_id)
    if klass.teacher_id != teacher.pk:
        raise ApplicationError(Messages.NOT_CLASS_TEACHER, 403)
    return klass


def class_enrolled(*, class_id: object, student: User) -> Class:
    """Return a class the student is enrolled in: 404 when unknown, 403 otherwise."""
    klass = class_get(class_id=class_id)
    if not is_enrolled(klass=klass, user=student):
        raise ApplicationError(Messages.NOT_ENROLLED, 403)
    return klass


def _class_rows(user: User):
    """(class key, teacher key) of every class a user teaches or is enrolled in, archived ones
    left out, unordered: one query (each socket's handshake asks it)."""
    if user.role == Role.TEACHER:
        rows = Class.objects.filter(teacher=user, archived_at__isnull=True).values_list("pk", "teacher_id")
    else:
        rows = Enrollment.objects.filter(student=user, klass__archived_at__isnull=True).values_list(
            "klass_id", "klass__teacher_id"
        )
    return rows.order_by()


def class_ids_of(*, user: User) -> list:
    """Return the keys of every class a user teaches or is enrolled in, archived ones left out."""
    return [class_id for class_id, _ in _class_rows(user)]


def classes_of_student(*, student: User) -> list[Class]:
    """Return the classes a student is enrolled in (archived ones left out), with their teachers, by name."""
    return list(
        Class.objects.filter(pk__in=class_ids_of(user=student)).select_related("teacher").order_by("class_name", "pk")
    )


def archived_classes(*, teacher: User) -> list[Class]:
    """Return a teacher's archived classes, most recently archived first."""
    return list(Class.objects.filter(teacher=teacher, archived_at__isnull=False).order_by("-archived_at"))


def memberships(*, user: User) -> dict[str, str]:
    """Return {classId: teacherId} for every class a user teaches or is enrolled in."""
    return {str(pk): str(teacher_id) for pk, teacher_id in _class_rows(user)}


def memberships_of(users: list[User]) -> dict[object, dict[str, str]]:
    """Return {user key: {classId: teacherId}} for several users at once: at most two queries.

    Every handshake asks it (live.connection), hence plain SQL on SQL databases (core.sql).
    """
    found: dict[object, dict[str, str]] = {user.pk: {} for user in users}
    teachers = [user.pk for user in users if user.role == Role.TEACHER]
    students = [user.pk for user in users if user.role != Role.TEACHER]
    for teacher_id, class_id in _taught_rows(teachers) if teachers else ():
        found[teacher_id][str(class_id)] = str(teacher_id)
    for student_id, class_id, teacher_id in _enrolled_rows(students) if students else ():
        found[student_id][str(class_id)] = str(teacher_id)
    return found


def _taught_rows(teachers: list) -> list[tuple]:
    """(teacher key, class key) of the unarchived classes of these teachers."""
    if not uses_sql():
        taught = Class.objects.filter(teacher_id__in=teachers, archived_at__isnull=True)
        return list(taught.values_list("teacher_id", "pk").order_by())
    quote, meta = connection.ops.quote_name, Class._meta
    teacher, archived = quote(meta.get_field("teacher").column), quote(meta.get_field("archived_at").column)
    return rows(
        f"SELECT {teacher}, {quote(meta.pk.column)} FROM {quote(meta.db_table)}"
        f" WHERE {teacher} IN ({placeholders(len(teachers))}) AND {archived} IS NULL",
        teachers,
    )


def _enrolled_rows(students: list) -> list[tuple]:
    """(student key, class key, teacher key) of these students' enrollments in unarchived classes."""
    if not uses_sql():
        enrolled = Enrollment.objects.filter(student_id__in=students, klass__archived_at__isnull=True)
        return list(enrolled.values_list("student_id", "klass_id", "klass__teacher_id").order_by())
    quote, classes, enrollments = connection.ops.quote_name, Class._meta, Enrollment._meta
    student = f"e.{quote(enrollments.get_field('student').column)}"
    klass = f"e.{quote(enrollments.get_field('klass').column)}"
    return rows(
        f"SELECT {student}, {klass}, c.{quote(classes.get_field('teacher').column)}"
        f" FROM {quote(enrollments.db_table)} e"
        f" JOIN {quote(classes.db_table)} c ON c.{quote(classes.pk.column)} = {klass}"
        f" WHERE {student} IN ({placeholders(len(students))})"
        f" AND c.{quote(classes.get_field('archived_at').column)} IS NULL",
        students,
    )


def students_all() -> list[User]:
    """Return every student account."""
    return list(User.objects.filter(role=Role.STUDENT, is_active=True).order_by("name", "email"))


def join_code_of(*, klass: Class) -> str | None:
    """Return the class's join code, or None while joining is off."""
    return JoinCode.objects.filter(klass=klass).values_list("code", flat=True).first()
