"""Writes and checks on users: signup and login."""

import logging

from django.db import IntegrityError

from accounts import throttling
from accounts.models import User, normalize_email
from accounts.tokens import issue_tokens
from core.errors import ApplicationError, Messages
from core.transactions import run_atomic

logger = logging.getLogger("attendance.security")


def user_signup(*, name: str, email: str, password: str, role: str) -> User:
    """Create a user; a taken email (any case) is the contract's 400."""
    email = normalize_email(email)
    if User.objects.filter(email=email).exists():
        raise ApplicationError(Messages.EMAIL_EXISTS, 400)
    try:
        return run_atomic(lambda: User.objects.create_user(email=email, password=password, name=name, role=role))
    except IntegrityError:
        # Two signups raced past the check; the constraint decided.
        raise ApplicationError(Messages.EMAIL_EXISTS, 400) from None


def user_login(*, email: str, password: str, client: str = "") -> dict[str, str]:
    """Check a password and return tokens; repeated failures on one email are locked out."""
    return issue_tokens(user_authenticate(email=email, password=password, client=client))


def user_authenticate(*, email: str, password: str, client: str = "") -> User:
    """Return the active user an email and password name; repeated failures on one email are locked out.

    The API's login and the site's login page both sign in through here, under the same lockout.
    """
    email = normalize_email(email)
    if throttling.is_locked(email):
        logger.warning("Login refused for locked email %s from %s", email, client)
        raise ApplicationError(Messages.TOO_MANY_LOGINS, 429)
    user = User.objects.filter(email=email, is_active=True).first()
    if user is None:
        User().set_password(password)  # same cost as a wrong password: no email probing
        ok = False
    else:
        ok = user.check_password(password)
    if not ok:
        throttling.record_failure(email, client)
        raise ApplicationError(Messages.INVALID_LOGIN, 400)
    throttling.reset(email)
    return user
