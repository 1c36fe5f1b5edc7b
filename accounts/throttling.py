"""Count failed logins per account so that brute force on one email is stopped.

Counting per email (not per address) keeps a school behind one NAT, or a script
signing hundreds of accounts in a minute, working at full speed.
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


def is_locked(email: str) -> bool:
    """Tell whether this email has used up its failed attempts for the window."""
    failures = cache.get(_key(email)) or []
    cutoff = time.time() - settings.LOGIN_FAILURE_WINDOW_SECONDS
    return sum(1 for stamp in failures if stamp > cutoff) >= settings.LOGIN_FAILURE_LIMIT


def record_failure(email: str, client: str) -> None:
    """Remember one failed attempt on this email."""
    now = time.time()
    cutoff = now - settings.LOGIN_FAILURE_WINDOW_SECONDS
    failures = [stamp for stamp in (cache.get(_key(email)) or []) if stamp > cutoff]
    failures.append(now)
    cache.set(_key(email), failures[-settings.LOGIN_FAILURE_LIMIT :], settings.LOGIN_FAILURE_WINDOW_SECONDS)
    if len(failures) >= settings.LOGIN_FAILURE_LIMIT:
        logger.warning("Login locked after %d failures for %s from %s", len(failures), email, client)


def reset(email: str) -> None:
    """Forget the failures of an email after a successful login."""
    cache.delete(_key(email))
