"""Request and response shapes of the attendance routes."""

from rest_framework import serializers

from attendance.models import NOTE_MAX_LENGTH, Status
from core.validation import IdField, StrictCharField


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


STATUSES_TEXT = ", ".join(Status.values)


class RecordIn(serializers.Serializer):
    status = StrictCharField(
        allow_blank=True,
        trim_whitespace=False,
        help_text="present, late, excused or absent (any other text: 400 `Invalid status`)",
    )
    note = StrictCharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text=f"At most {NOTE_MAX_LENGTH} characters (more: 400 `Note too long, at most 500 characters`)",
    )


class CountsOut(serializers.Serializer):
    present = serializers.IntegerField()
    late = serializers.IntegerField()
    excused = serializers.IntegerField()
    absent = serializers.IntegerField()
    total = serializers.IntegerField()


class SessionRowOut(CountsOut):
    _id = serializers.CharField()
    startedAt = serializers.CharField()
    endedAt = serializers.CharField(allow_null=True, help_text="null while the session runs")
    automatic = serializers.BooleanField(help_text="finished automatically after running too long")


class ChangeOut(serializers.Serializer):
    at = serializers.CharField()
    by = serializers.CharField(allow_null=True, help_text="the teacher's id (null once that account is deleted)")
    to = serializers.CharField(help_text=STATUSES_TEXT)
    note = serializers.CharField()

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.CharField(help_text=STATUSES_TEXT)  # a keyword: no class attribute
        return fields


class RecordOut(serializers.Serializer):
    studentId = serializers.CharField()
    name = serializers.CharField()
    status = serializers.CharField(allow_null=True, help_text="null: not marked yet in a running session")
    note = serializers.CharField()
    markedAt = serializers.CharField(allow_null=True)
    changes = ChangeOut(many=True)


class SessionDetailOut(serializers.Serializer):
    _id = serializers.CharField()
    classId = serializers.CharField()
    startedAt = serializers.CharField()
    endedAt = serializers.CharField(allow_null=True)
    records = RecordOut(many=True)
