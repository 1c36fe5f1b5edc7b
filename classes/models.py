"""Classes, enrollment (an explicit table: MongoDB cannot prefetch many-to-many) and join codes."""

from django.conf import settings
from django.db import models


def default_time_zone() -> str:
    """Return the time zone a new class starts with (DEFAULT_CLASS_TIMEZONE)."""
    return settings.DEFAULT_CLASS_TIMEZONE


class Class(models.Model):
    """A class a teacher runs attendance for."""

    class_name = models.CharField(max_length=200)
    teacher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="classes_taught")
    created_at = models.DateTimeField(auto_now_add=True)
    time_zone = models.CharField(
        max_length=64,
        default=default_time_zone,
        help_text="IANA name (Europe/Paris): pages, CSV and the chart show session times in it.",
    )
    # Set while the class is archived: hidden from its teacher's dashboard and its students'
    # pages, its history kept; cleared when it is restored.
    archived_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        verbose_name_plural = "classes"
        ordering = ["class_name", "created_at"]

    def __str__(self) -> str:
        return self.class_name

    @property
    def archived(self) -> bool:
        return self.archived_at is not None


class Enrollment(models.Model):
    """One student on one class's roster."""

    klass = models.ForeignKey(Class, on_delete=models.CASCADE, related_name="enrollments")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at"]
        constraints = [
            models.UniqueConstraint(fields=["klass", "student"], name="enrollment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.student} in {self.klass}"


class JoinCode(models.Model):
    """The code students type (or follow in a link) to put themselves on a class's roster.

    A row of its own rather than a nullable unique column on Class: MongoDB's unique
    indexes count every missing value as the same value.
    """

    klass = models.OneToOneField(Class, on_delete=models.CASCADE, related_name="join_code")
    code = models.CharField(max_length=16, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.code} for {self.klass}"
