"""Request and response shapes of the attendance routes."""

from rest_framework import serializers

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
