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

    class Meta:
        ordering = ["session", "student"]
        constraints = [
            models.UniqueConstraint(fields=["session", "student"], name="one_record_per_student"),
        ]

    def __str__(self) -> str:
        return f"{self.student}: {self.status}"


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
