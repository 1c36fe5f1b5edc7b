"""Writes and checks on users: signup, login, profile, password change and reset, token revocation."""

import logging

from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError
from django.db.models import F
from django.http import HttpRequest

from accounts import throttling
from accounts.events import announce_access_revoked
from accounts.models import User, normalize_email
from accounts.tokens import issue_tokens
from core.errors import ApplicationError, Messages
from core.transactions import run_atomic

logger = logging.getLogger("attendance.security")


def api_password_rules_are_strict() -> bool:
    """Tell whether POST /auth/signup applies the full validators (PASSWORD_POLICY=strict)."""
    return settings.PASSWORD_POLICY == "strict"


def user_signup(
    *, name: str, email: str, password: str, role: str, client: str = "", full_password_rules: bool = False
) -> User:
    """Create a user; a taken email (any case) is the contract's 400; too many from one client a 429.

    `full_password_rules` applies Django's validators; the base API route turns it off (the
    contract promises 6+ characters) unless PASSWORD_POLICY=strict.
    """
    if not throttling.signup_allowed(client):
        raise ApplicationError(Messages.TOO_MANY_SIGNUPS, 429)
    email = normalize_email(email)
    if full_password_rules and validate_new_password(password=password, user=User(email=email, name=name)):
        raise ApplicationError(Messages.INVALID_SCHEMA, 400)
    if User.objects.filter(email=email).exists():
        raise ApplicationError(Messages.EMAIL_EXISTS, 400)
    try:
        return run_atomic(lambda: User.objects.create_user(email=email, password=password, name=name, role=role))
    except IntegrityError:
        # Two signups raced past the check; the constraint decided.
        raise ApplicationError(Messages.EMAIL_EXISTS, 400) from None


def user_login(*, email: str, password: str, client: str = "") -> dict[str, str]:
    """Check a password and return tokens; repeated failures are locked out."""
    return issue_tokens(user_authenticate(email=email, password=password, client=client))


def user_authenticate(*, email: str, password: str, client: str = "", request: HttpRequest | None = None) -> User:
    """Check a password through the lockout every door shares; return the active user.

    Raises the contract's 429 while (email, client) or the client is locked, its 400 otherwise.
    """
    email = normalize_email(email)
    if throttling.is_locked(email, client):
        logger.warning("Login refused for locked email %s from %s", email, client)
        raise ApplicationError(Messages.TOO_MANY_LOGINS, 429)
    # The backend hashes even for an unknown email: the same cost, so no email probing.
    user = authenticate(request, email=email, password=password)
    if user is None:
        throttling.record_failure(email, client)
        raise ApplicationError(Messages.INVALID_LOGIN, 400)
    throttling.reset(email, client)
    return user


def validate_new_password(*, password: str, user: User | None = None) -> list[str]:
    """Return the messages of Django's password validators (empty when the password is good)."""
    try:
        password_validation.validate_password(password, user=user)
    except ValidationError as exc:
        return list(exc.messages)
    return []


def _revoke(*, user: User) -> None:
    User.objects.filter(pk=user.pk).update(token_version=F("token_version") + 1)
    user.refresh_from_db(fields=["token_version"])
    announce_access_revoked(user_id=user.pk)


def check_current_password(*, user: User, password: str, client: str) -> None:
    """Check a signed-in user's password through the login lockout (400 `Current password is incorrect`).

    The lockout means a stolen token or an unattended browser cannot be used to guess it.
    """
    try:
        user_authenticate(email=user.email, password=password, client=client)
    except ApplicationError as exc:
        if exc.message == Messages.INVALID_LOGIN:
            raise ApplicationError(Messages.WRONG_PASSWORD, 400) from None
        raise


def change_password(*, user: User, current_password: str, new_password: str, client: str) -> dict[str, str]:
    """Set a new password, refuse every earlier token, and return fresh tokens for this client.

    The current password is checked through the login lockout; a new password must pass the
    validators (400 otherwise). Every page session of the user ends too: Django signs a
    session with the password hash. `POST /auth/password` and the account page both call this.
    """
    check_current_password(user=user, password=current_password, client=client)
    if validate_new_password(password=new_password, user=user):
        raise ApplicationError(Messages.INVALID_SCHEMA, 400)
    set_password_everywhere(user=user, new_password=new_password)
    return issue_tokens(user)


def set_password_everywhere(*, user: User, new_password: str) -> None:
    """Store a new password and end every token, page session and socket of the user.

    The caller has checked the password against the validators.
    """

    def write() -> None:
        user.set_password(new_password)
        user.save(update_fields=["password"])
        _revoke(user=user)

    run_atomic(write)


def change_name(*, user: User, name: str) -> User:
    """Give a user a new display name (surrounding blanks dropped; empty or over 200 characters: 400)."""
    name = name.strip()
    if not name or len(name) > User._meta.get_field("name").max_length:
        raise ApplicationError(Messages.INVALID_SCHEMA, 400)
    user.name = name
    user.save(update_fields=["name"])
    return user


def change_email(*, user: User, password: str, new_email: str, client: str) -> User:
    """Move a user to a new sign-in email, once the current password is confirmed.

    400 `Current password is incorrect`, or `Email already exists` when another account has it
    (in any case). Reset links sent to the old address stop working (Django's reset token
    covers the email).
    """
    check_current_password(user=user, password=password, client=client)
    new_email = normalize_email(new_email)
    try:
        validate_email(new_email)
    except ValidationError:
        raise ApplicationError(Messages.INVALID_SCHEMA, 400) from None
    if new_email == user.email:
        return user
    if User.objects.filter(email=new_email).exclude(pk=user.pk).exists():
        raise ApplicationError(Messages.EMAIL_EXISTS, 400)
    old_email = user.email
    user.email = new_email
    try:
        run_atomic(lambda: user.save(update_fields=["email"]))
    except IntegrityError:
        user.email = old_email
        raise ApplicationError(Messages.EMAIL_EXISTS, 400) from None
    return user


def logout_everywhere(*, user: User) -> None:
    """Refuse every access and refresh token issued to this user so far."""
    run_atomic(lambda: _revoke(user=user))
