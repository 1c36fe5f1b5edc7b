"""Count failed logins per account so that brute force on one email is stopped.

Counting per email (not per address) keeps a school behind one NAT, or a script
signing hundreds of accounts in a minute, working at full speed.

The counts live in the cache (Redis in production). When the cache cannot be reached
the throttle fails open: the attempt is allowed and a warning is logged, because
refusing every login while Redis restarts would lock a whole school out at once.
"""

import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger("attendance.security")


def _key(email: str) -> str:
    digest = hashlib.sha256(email.encode("utf-8")).hexdigest()[:32]
    return f"login-failures:{digest}"


def _unavailable(action: str, exc: Exception) -> None:
    logger.warning("Login throttle unavailable, %s: %s: %s", action, type(exc).__name__, exc)


def _failures(email: str) -> list[float]:
    # Raises when the cache is unreachable; callers decide how to fail open.
    failures = cache.get(_key(email)) or []
    return failures if isinstance(failures, list) else []


def is_locked(email: str) -> bool:
    """Tell whether this email has used up its failed attempts for the window."""
    try:
        failures = _failures(email)
    except Exception as exc:  # noqa: BLE001 - any cache backend failure: fail open
        _unavailable("allowing the attempt", exc)
        return False
    cutoff = time.time() - settings.LOGIN_FAILURE_WINDOW_SECONDS
    return sum(1 for stamp in failures if stamp > cutoff) >= settings.LOGIN_FAILURE_LIMIT


def record_failure(email: str, client: str) -> None:
    """Remember one failed attempt on this email."""
    now = time.time()
    cutoff = now - settings.LOGIN_FAILURE_WINDOW_SECONDS
    try:
        failures = [stamp for stamp in _failures(email) if stamp > cutoff]
        failures.append(now)
        cache.set(_key(email), failures[-settings.LOGIN_FAILURE_LIMIT :], settings.LOGIN_FAILURE_WINDOW_SECONDS)
    except Exception as exc:  # noqa: BLE001 - any cache backend failure: the failure goes uncounted
        _unavailable("failed attempt not counted", exc)
        return
    if len(failures) >= settings.LOGIN_FAILURE_LIMIT:
        logger.warning("Login locked after %d failures for %s from %s", len(failures), email, client)


def reset(email: str) -> None:
    """Forget the failures of an email after a successful login."""
    try:
        cache.delete(_key(email))
    except Exception as exc:  # noqa: BLE001 - any cache backend failure: the login itself succeeded
        _unavailable("failures not reset", exc)
