"""The custom user: email is the login, `role` says teacher or student."""

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils.crypto import salted_hmac


class Role(models.TextChoices):
    """What a user is in the school."""

    TEACHER = "teacher", "Teacher"
    STUDENT = "student", "Student"


def normalize_email(email: str) -> str:
    """Return the canonical, lower-case form under which an email is stored."""
    return (email or "").strip().lower()


class UserManager(BaseUserManager):
    """Create users and superusers by email."""

    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        """Create a user with a hashed password."""
        if not email:
            raise ValueError("An email address is required")
        fields.setdefault("role", Role.STUDENT)
        user = self.model(email=normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        """Create a staff superuser for the admin (a teacher by role)."""
        fields.setdefault("role", Role.TEACHER)
        fields.setdefault("name", email.split("@")[0])
        fields["is_staff"] = True
        fields["is_superuser"] = True
        return self.create_user(email, password, **fields)

    def get_by_natural_key(self, email: str) -> "User":
        """Look a user up by email, whatever its case."""
        return self.get(email=normalize_email(email))


class User(AbstractBaseUser, PermissionsMixin):
    """A teacher, a student or an admin (staff flag), who signs in with an email."""

    email = models.EmailField(max_length=254)
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=16, choices=Role.choices, db_index=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="Can sign in to the admin.")
    date_joined = models.DateTimeField(auto_now_add=True)
    # Carried in every token as `ver`; raising it refuses every token issued before.
    token_version = models.PositiveIntegerField(default=0, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        ordering = ["name", "email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
            models.UniqueConstraint(fields=["email"], name="user_email_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    # A page session is signed with the password hash and the token version (Django keeps the
    # hash in the session and compares on every request, page or cookie socket): raising the
    # version (logout everywhere, password change, reset) ends every page session as well.
    def get_session_auth_hash(self) -> str:
        return self._session_hash(secret=None)

    def get_session_auth_fallback_hash(self):
        for secret in settings.SECRET_KEY_FALLBACKS:
            yield self._session_hash(secret=secret)

    def _session_hash(self, *, secret) -> str:
        value = f"{self.password}:{self.token_version}"
        return salted_hmac("accounts.User.session", value, secret=secret, algorithm="sha256").hexdigest()

    @classmethod
    def from_db(cls, db, field_names, values):
        user = super().from_db(db, field_names, values)
        user._loaded_active = user.__dict__.get("is_active")
        return user

    def save(self, *args, **kwargs) -> None:
        self.email = normalize_email(self.email)
        deactivated = getattr(self, "_loaded_active", None) is True and not self.is_active
        if deactivated:
            # A deactivated account's tokens stay refused even if it is reactivated later.
            self.token_version += 1
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "token_version"}
        super().save(*args, **kwargs)
        self._loaded_active = self.is_active
        if deactivated:
            from accounts.events import announce_access_revoked

            announce_access_revoked(user_id=self.pk)
