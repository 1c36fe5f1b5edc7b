"""Request and response shapes of the attendance routes."""

from rest_framework import serializers

from core.validation import IdField


class StartIn(serializers.Serializer):
    classId = IdField()


class StartOut(serializers.Serializer):
    classId = serializers.CharField()
    startedAt = serializers.CharField(help_text="ISO-8601 UTC with milliseconds, e.g. 2025-03-11T10:00:00.000Z")


class MyAttendanceOut(serializers.Serializer):
    classId = serializers.CharField()
    status = serializers.CharField(
        allow_null=True, help_text="present, late, excused, absent, or null when no session ended"
    )
