"""Login lockout and per-client limits, shared by every door (API, sign-in page, admin, reset).

- Failed logins count per (email, client address): ten failures lock that pair for the
  window. A stranger guessing a victim's password locks only the stranger's own address
  out; the victim keeps signing in from home or school.
- Failed logins also count per client address across all emails, so one client cannot
  walk through a list of accounts (LOGIN_CLIENT_FAILURE_LIMIT per window).
- Signups count per client address (SIGNUP_CLIENT_LIMIT per window).
- Password-reset requests count per client address (PASSWORD_RESET_CLIENT_LIMIT per window,
  then 429), and reset emails per address mailed to (PASSWORD_RESET_EMAIL_LIMIT: later
  requests get the same answer but send nothing, so the answer tells nobody whether the
  account exists and nobody can fill a mailbox).

Successful logins are never counted, so a school behind one NAT signs in at full speed.
The counts live in the cache (Redis in production). When the cache cannot be reached the
throttle fails open: the attempt is allowed and a warning is logged, because refusing
every login while Redis restarts would lock a whole school out at once.
"""

import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger("attendance.security")


def _key(kind: str, *parts: str) -> str:
    digest = hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()[:32]
    return f"{kind}:{digest}"


def _unavailable(action: str, exc: Exception) -> None:
    logger.warning("Login throttle unavailable, %s: %s: %s", action, type(exc).__name__, exc)


def _recent(key: str, window: int) -> list[float]:
    # Raises when the cache is unreachable; callers decide how to fail open.
    stamps = cache.get(key) or []
    cutoff = time.time() - window
    return [stamp for stamp in stamps if stamp > cutoff] if isinstance(stamps, list) else []


def _full(key: str, limit: int, window: int) -> bool:
    try:
        return len(_recent(key, window)) >= limit
    except Exception as exc:  # noqa: BLE001 - any cache backend failure: fail open
        _unavailable("allowing the attempt", exc)
        return False


def _count(key: str, limit: int, window: int) -> int:
    """Add one attempt now and return how many the window holds (0 if the cache is down)."""
    try:
        stamps = _recent(key, window)
        stamps.append(time.time())
        cache.set(key, stamps[-limit:], window)
    except Exception as exc:  # noqa: BLE001 - any cache backend failure: the attempt goes uncounted
        _unavailable("failed attempt not counted", exc)
        return 0
    return len(stamps)


def _pair_key(email: str, client: str) -> str:
    return _key("login-failures", email, client)


def _client_key(client: str) -> str:
    return _key("login-client-failures", client)


def is_locked(email: str, client: str) -> bool:
    """Tell whether this email from this client, or this client at all, used up its failures."""
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    return _full(_pair_key(email, client), settings.LOGIN_FAILURE_LIMIT, window) or _full(
        _client_key(client), settings.LOGIN_CLIENT_FAILURE_LIMIT, window
    )


def record_failure(email: str, client: str) -> None:
    """Remember one failed attempt on this email from this client."""
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    failures = _count(_pair_key(email, client), settings.LOGIN_FAILURE_LIMIT, window)
    if failures >= settings.LOGIN_FAILURE_LIMIT:
        logger.warning("Login locked after %d failures for %s from %s", failures, email, client)
    client_failures = _count(_client_key(client), settings.LOGIN_CLIENT_FAILURE_LIMIT, window)
    if client_failures == settings.LOGIN_CLIENT_FAILURE_LIMIT:
        logger.warning("Login locked after %d failures on any email from %s", client_failures, client)


def reset(email: str, client: str) -> None:
    """Forget the failures of an email from this client after a successful login."""
    try:
        cache.delete(_pair_key(email, client))
    except Exception as exc:  # noqa: BLE001 - any cache backend failure: the login itself succeeded
        _unavailable("failures not reset", exc)


def _allowed(kind: str, subject: str, limit: int, window: int) -> bool:
    """Count one attempt of `kind` by `subject`; False (and not counted) once it is over the limit."""
    key = _key(kind, subject)
    if _full(key, limit, window):
        logger.warning("%s refused for %s: %d in %d s", kind, subject, limit, window)
        return False
    _count(key, limit, window)
    return True


def signup_allowed(client: str) -> bool:
    """Count one signup attempt from this client; False once it is over the limit."""
    return _allowed("signups", client, settings.SIGNUP_CLIENT_LIMIT, settings.SIGNUP_CLIENT_WINDOW_SECONDS)


def reset_request_allowed(client: str) -> bool:
    """Count one password-reset request from this client; False once it is over the limit."""
    window = settings.PASSWORD_RESET_WINDOW_SECONDS
    return _allowed("reset-requests", client, settings.PASSWORD_RESET_CLIENT_LIMIT, window)


def reset_email_allowed(email: str) -> bool:
    """Count one reset email to this address; False once it has had its share of the window."""
    window = settings.PASSWORD_RESET_WINDOW_SECONDS
    return _allowed("reset-emails", email, settings.PASSWORD_RESET_EMAIL_LIMIT, window)


def limit_reached(kind: str, *parts: str, limit: int, window: int) -> bool:
    """Tell whether the attempts of `kind` by `parts` (an account, an address) fill the window.

    The same counters as the login lockout, for other doors that need one (join codes).
    """
    return _full(_key(kind, *parts), limit, window)


def attempt_record(kind: str, *parts: str, limit: int, window: int) -> int:
    """Count one attempt of `kind` by `parts` now; return how many the window holds."""
    return _count(_key(kind, *parts), limit, window)
