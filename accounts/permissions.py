"""Role checks for the API, in the contract's check order (after authentication)."""

from rest_framework.permissions import BasePermission

from accounts.models import Role
from core.errors import Messages


class IsTeacher(BasePermission):
    """Only teachers."""

    message = Messages.TEACHER_REQUIRED

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.role == Role.TEACHER)


class IsStudent(BasePermission):
    """Only students."""

    message = Messages.STUDENT_REQUIRED

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.role == Role.STUDENT)
