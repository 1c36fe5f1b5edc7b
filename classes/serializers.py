"""Request and response shapes of the class routes."""

from rest_framework import serializers

from accounts.serializers import PersonOut
from classes import selectors
from classes.models import Class
from core.validation import IdField, StrictCharField


class ClassIn(serializers.Serializer):
    className = StrictCharField(max_length=200)


class AddStudentIn(serializers.Serializer):
    studentId = IdField()


class ClassOut(serializers.Serializer):
    _id = serializers.CharField()
    className = serializers.CharField()
    teacherId = serializers.CharField()
    studentIds = serializers.ListField(child=serializers.CharField())


class ClassManagedOut(ClassOut):
    archived = serializers.BooleanField()


class ClassDetailOut(serializers.Serializer):
    _id = serializers.CharField()
    className = serializers.CharField()
    teacherId = serializers.CharField()
    students = PersonOut(many=True)


def class_data(klass: Class) -> dict:
    """Shape a class with its student ids, all as strings."""
    return {
        "_id": str(klass.pk),
        "className": klass.class_name,
        "teacherId": str(klass.teacher_id),
        "studentIds": [str(pk) for pk in selectors.roster_ids(klass=klass)],
    }


def class_managed_data(klass: Class) -> dict:
    """Shape a class as the management routes answer it: its ids and whether it is archived."""
    return {**class_data(klass), "archived": klass.archived}


def class_detail_data(klass: Class) -> dict:
    """Shape a class with its students' names and emails."""
    return {
        "_id": str(klass.pk),
        "className": klass.class_name,
        "teacherId": str(klass.teacher_id),
        "students": PersonOut(selectors.roster(klass=klass), many=True).data,
    }


class JoinCodeOut(serializers.Serializer):
    code = serializers.CharField(allow_null=True)


class JoinIn(serializers.Serializer):
    code = StrictCharField(max_length=64, allow_blank=True, trim_whitespace=False)


class RosterImportIn(serializers.Serializer):
    csv = StrictCharField(allow_blank=True, trim_whitespace=False)


class RosterImportRowOut(serializers.Serializer):
    line = serializers.IntegerField()
    email = serializers.EmailField()
    name = serializers.CharField()
    result = serializers.ChoiceField(choices=["added", "already_enrolled", "unknown_email", "not_a_student"])
    studentId = serializers.CharField(allow_null=True)


class RosterImportOut(serializers.Serializer):
    classId = serializers.CharField()
    added = serializers.IntegerField()
    rows = RosterImportRowOut(many=True)


def roster_import_data(klass: Class, rows: list) -> dict:
    """Shape a roster import's result: one row per email, in the roster's order."""
    return {
        "classId": str(klass.pk),
        "added": sum(1 for row in rows if row.result == "added"),
        "rows": [
            {
                "line": row.line,
                "email": row.email,
                "name": row.name,
                "result": row.result.value,
                "studentId": str(row.student.pk) if row.student else None,
            }
            for row in rows
        ],
    }
