"""Classes and enrollment (an explicit table: MongoDB cannot prefetch many-to-many)."""

from django.conf import settings
from django.db import models


class Class(models.Model):
    """A class a teacher runs attendance for."""

    class_name = models.CharField(max_length=200)
    teacher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="classes_taught")
    created_at = models.DateTimeField(auto_now_add=True)
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
