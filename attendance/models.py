"""Attendance sessions and their records.

Marks are written through to the database the moment they are made: every worker sees
them and a killed worker loses nothing. A session is running while `is_active` is true.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q


class Status(models.TextChoices):
    """A student's attendance in one session."""

    PRESENT = "present", "Present"
    LATE = "late", "Late"
    EXCUSED = "excused", "Excused"
    ABSENT = "absent", "Absent"


class AttendanceSession(models.Model):
    """One roll call of a class, from start to DONE."""

    klass = models.ForeignKey("classes.Class", on_delete=models.CASCADE, related_name="sessions")
    teacher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sessions_started")
    started_at = models.DateTimeField(db_index=True)
    ended_at = models.DateTimeField(null=True, blank=True, db_index=True)
    is_active = models.BooleanField(default=True)
    # Bumped by every mark and by DONE, so that a mark and a DONE racing each other
    # write the same row and the database serializes them (on SQL and on MongoDB).
    version = models.PositiveIntegerField(default=0)
    present_count = models.PositiveIntegerField(default=0)
    late_count = models.PositiveIntegerField(default=0)
    excused_count = models.PositiveIntegerField(default=0)
    absent_count = models.PositiveIntegerField(default=0)
    total_count = models.PositiveIntegerField(default=0)
    finished_automatically = models.BooleanField(default=False)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["klass"], condition=Q(is_active=True), name="one_running_session_per_class"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.klass} at {self.started_at:%Y-%m-%d %H:%M}"


class AttendanceRecord(models.Model):
    """One student's status in one session: a live mark, then the persisted result."""

    session = models.ForeignKey(AttendanceSession, on_delete=models.CASCADE, related_name="records")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attendance_records")
    status = models.CharField(max_length=16, choices=Status.choices)
    marked_at = models.DateTimeField()
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty when DONE marked the student absent for not being marked.",
    )
    # The session's version when this record was last written (the `seq` of its broadcast), so
    # that a client holding an older version can ask for every record written since.
    seq = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["session", "student"]
        constraints = [
            models.UniqueConstraint(fields=["session", "student"], name="one_record_per_student"),
        ]

    def __str__(self) -> str:
        return f"{self.student}: {self.status}"


class CheckInWindow(models.Model):
    """Self check-in of a running session: its code secret, whether it is open, the late threshold.

    Deleted with everything else of check-in when the session ends (attendance.checkin).
    """

    session = models.OneToOneField(AttendanceSession, on_delete=models.CASCADE, related_name="checkin_window")
    # The codes are an HMAC of this and the time period: nothing else is needed to check one.
    secret = models.CharField(max_length=64)
    is_open = models.BooleanField(default=False)
    late_after_minutes = models.PositiveIntegerField(null=True, blank=True)

    def __str__(self) -> str:
        return f"check-in of {self.session}"


class CheckIn(models.Model):
    """One student's self check-in in one running session: wrong codes, the check-in's signals, a claim.

    Kept only while the session runs; `device` and `network` are keyed digests, never the
    browser's id or the address themselves.
    """

    session = models.ForeignKey(AttendanceSession, on_delete=models.CASCADE, related_name="checkins")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    failed_attempts = models.PositiveIntegerField(default=0)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    device = models.CharField(max_length=64, blank=True)
    network = models.CharField(max_length=64, blank=True)
    on_school_network = models.BooleanField(default=False)
    previous_code_at_last_second = models.BooleanField(default=False)
    # None: nobody could tell (no live transport in this process).
    page_seen = models.BooleanField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claims = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "student"], name="one_checkin_per_student"),
        ]

    def __str__(self) -> str:
        return f"{self.student} in {self.session}"


class ClassPolicy(models.Model):
    """A class's attendance rules: the rate it requires, what a late counts for, whether excused counts.

    A class without a row has the defaults: no requirement, a late counts as present, an
    excused session counts as missed (as it did before classes had a policy).
    """

    klass = models.OneToOneField("classes.Class", on_delete=models.CASCADE, related_name="policy")
    required_rate = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Percent of sessions a student must attend (1-100); empty: no requirement.",
    )
    late_credit = models.PositiveSmallIntegerField(
        default=100,
        validators=[MaxValueValidator(100)],
        help_text="Percent of a session a late arrival counts for: 100 as present, 0 as absent.",
    )
    excused_left_out = models.BooleanField(
        default=False, help_text="Excused sessions are left out of the rate instead of counting as missed."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "class policies"

    def __str__(self) -> str:
        return f"policy of {self.klass}"
