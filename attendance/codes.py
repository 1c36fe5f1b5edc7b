"""Rotating check-in codes: six digits from an HMAC of the session's secret and the time period.

Like TOTP (RFC 6238): every process that knows the secret agrees on the code of any moment,
so nothing but the secret is stored. The code of the period before the current one is still
accepted, so a student who read the projector just before it changed is not refused.
"""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

DIGITS = 6
_CODE = re.compile(r"[0-9]{6}")


def new_secret() -> str:
    """Return a fresh random secret for one session's codes."""
    return secrets.token_hex(32)


def period_of(moment: float, rotate_seconds: int) -> int:
    """Return the number of the period a Unix time falls in."""
    return int(moment // rotate_seconds)


def code_for(secret: str, period: int) -> str:
    """Return the six-digit code of one period (dynamic truncation, as in RFC 4226)."""
    digest = hmac.new(secret.encode(), period.to_bytes(8, "big", signed=True), hashlib.sha256).digest()
    offset = digest[-1] & 0x0F
    value = int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF
    return f"{value % 10**DIGITS:0{DIGITS}d}"


def normalize(raw: object) -> str | None:
    """Return the six digits a student typed (spaces and dashes allowed between them), or None."""
    if not isinstance(raw, str) or len(raw) > 32:
        return None
    digits = re.sub(r"[\s-]", "", raw)
    return digits if _CODE.fullmatch(digits) else None


@dataclass(frozen=True)
class Match:
    """What a submitted code matched: nothing, the current period's code, or the previous one's."""

    valid: bool
    previous: bool = False
    seconds_left: float = 0.0


def verify(secret: str, submitted: object, *, moment: float, rotate_seconds: int) -> Match:
    """Check a code against the current and the previous period, in constant time."""
    period = period_of(moment, rotate_seconds)
    digits = normalize(submitted)
    # Both comparisons always run, on equal-length bytes, whatever was sent.
    candidate = (digits or "x" * DIGITS).encode()
    current = hmac.compare_digest(candidate, code_for(secret, period).encode())
    previous = hmac.compare_digest(candidate, code_for(secret, period - 1).encode())
    if digits is None or not (current or previous):
        return Match(valid=False)
    # The previous code stops being accepted when the current period ends.
    seconds_left = (period + 1) * rotate_seconds - moment
    return Match(valid=True, previous=not current, seconds_left=seconds_left)
