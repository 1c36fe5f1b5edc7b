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


class StrictIntegerField(serializers.IntegerField):
    """An IntegerField that refuses strings, floats and booleans instead of coercing them."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class CheckInOpenIn(serializers.Serializer):
    classId = IdField()
    lateAfterMinutes = StrictIntegerField(
        required=False, allow_null=True, min_value=0, max_value=24 * 60, help_text="minutes after the start"
    )


class ClassIdIn(serializers.Serializer):
    classId = IdField()


class CheckInOpenOut(serializers.Serializer):
    classId = serializers.CharField()
    open = serializers.BooleanField()


class CheckInCodeOut(serializers.Serializer):
    code = serializers.CharField(help_text="six digits")
    expiresAt = serializers.CharField(help_text="when the next code replaces it (ISO-8601 UTC, milliseconds)")
    rotateSeconds = serializers.IntegerField()


class CheckInIn(serializers.Serializer):
    classId = IdField()
    code = StrictCharField(max_length=32, allow_blank=True, trim_whitespace=False)


class CheckInOut(serializers.Serializer):
    classId = serializers.CharField()
    status = serializers.CharField(help_text="present or late (or the status the student already had)")


class ClaimOut(serializers.Serializer):
    classId = serializers.CharField()
    claimed = serializers.BooleanField()


class PolicyIn(serializers.Serializer):
    requiredRate = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=100, help_text="percent required; null: none"
    )
    lateCountsAs = serializers.FloatField(
        required=False, min_value=0, max_value=1, help_text="the part of a session a late counts for: 1 as present"
    )
    excusedLeftOut = serializers.BooleanField(required=False)
    timeZone = serializers.CharField(required=False, help_text="IANA name, e.g. Europe/Paris")


class PolicyOut(serializers.Serializer):
    classId = serializers.CharField()
    requiredRate = serializers.IntegerField(allow_null=True)
    lateCountsAs = serializers.FloatField()
    excusedLeftOut = serializers.BooleanField()
    timeZone = serializers.CharField()
