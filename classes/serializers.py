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
