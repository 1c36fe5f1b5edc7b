"""Authenticate by email for the site's login page and the admin."""

from django.contrib.auth.backends import ModelBackend

from accounts.models import User, normalize_email


class EmailBackend(ModelBackend):
    """Model backend that finds users by case-insensitive email."""

    def authenticate(self, request, username=None, password=None, email=None, **kwargs):
        login = email or username
        if not login or password is None:
            return None
        try:
            user = User.objects.get(email=normalize_email(login))
        except User.DoesNotExist:
            # Hash anyway so that unknown emails take as long as wrong passwords.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
