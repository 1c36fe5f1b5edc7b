"""Issue and read the contract's JWTs: claims `userId` (string), `role` and `ver`.

`ver` is the user's token version when the token was issued. Every authentication compares
it with the stored one, so raising the version (password change, logout everywhere,
deactivation) refuses every earlier access and refresh token without a blacklist table.
A refresh token is single-use: the first use records its `jti` in the cache until it expires.
"""

import logging
import time
from typing import NamedTuple

from django.core.cache import cache
from django.db import connection
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.models import User
from core.ids import parse_id
from core.sql import placeholders, rows, uses_sql

logger = logging.getLogger("attendance.security")

VERSION_CLAIM = "ver"


def _add_claims(token, user: User):
    token["userId"] = str(user.pk)
    token["role"] = user.role
    token[VERSION_CLAIM] = user.token_version
    return token


def issue_tokens(user: User) -> dict[str, str]:
    """Return an access token (`token`) and a refresh token for a user."""
    refresh = _add_claims(RefreshToken.for_user(user), user)
    access = _add_claims(refresh.access_token, user)
    return {"token": str(access), "refresh": str(refresh)}


def rotate_refresh(raw_refresh: str) -> dict[str, str] | None:
    """Spend a refresh token: return a new access and refresh token, or None if it is not good.

    A refresh token already spent, or issued before the user's token version changed, is refused.
    """
    try:
        refresh = RefreshToken(raw_refresh)
    except (TokenError, TypeError, ValueError):
        return None
    user = _current_user(refresh)
    if user is None or not _spend(refresh):
        return None
    return issue_tokens(user)


def _spend(refresh: RefreshToken) -> bool:
    lifetime = max(int(refresh["exp"] - time.time()), 1)
    try:
        # add() is atomic: of two requests racing with one token, only one wins.
        return bool(cache.add(f"refresh-spent:{refresh['jti']}", 1, lifetime))
    except Exception as exc:  # noqa: BLE001 - any cache backend failure: refuse, the user signs in again
        logger.warning("Refresh token refused, cannot record its use: %s: %s", type(exc).__name__, exc)
        return False


def user_from_token(raw: str | bytes | None) -> User | None:
    """Return the active user an access token names, or None for any bad or revoked token."""
    access = access_from_token(raw)
    return access[0] if access else None


def access_from_token(raw: str | bytes | None) -> tuple[User, float] | None:
    """Return the active user a good access token names and when it expires (Unix time), or None."""
    claims = access_claims(raw)
    if claims is None:
        return None
    user = current_user(claims, active_users([claims.key]).get(claims.key))
    return (user, claims.expires_at) if user is not None else None


class AccessClaims(NamedTuple):
    """What a well-signed, unexpired access token says: whose it is, its version, its expiry."""

    key: object
    version: object
    expires_at: float


def access_claims(raw: str | bytes | None) -> AccessClaims | None:
    """Check an access token's signature, type and expiry without the database; None if any fails.

    The user it names must still be looked up (active_users) and checked (current_user).
    """
    if not raw:
        return None
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("ascii")
        except UnicodeDecodeError:
            return None
    if len(raw) > 4096:
        return None
    try:
        token = AccessToken(raw)
    except (TokenError, TypeError, ValueError):
        return None
    key = parse_id(User, token.get("userId"))
    if key is None:
        return None
    return AccessClaims(key=key, version=token.get(VERSION_CLAIM, 0), expires_at=float(token["exp"]))


def active_users(keys: list) -> dict:
    """Return {key: user} of the active users among these keys, in one query."""
    if not keys:
        return {}
    if not uses_sql():
        return {user.pk: user for user in User.objects.filter(pk__in=keys, is_active=True)}
    fields = User._meta.concrete_fields
    quote = connection.ops.quote_name
    statement = (
        f"SELECT {', '.join(quote(field.column) for field in fields)} FROM {quote(User._meta.db_table)}"
        f" WHERE {quote(User._meta.pk.column)} IN ({placeholders(len(keys))})"
        f" AND {quote(User._meta.get_field('is_active').column)} = %s"
    )
    names = [field.attname for field in fields]
    found = (User.from_db(connection.alias, names, row) for row in rows(statement, [*keys, True]))
    return {user.pk: user for user in found}


def current_user(claims: AccessClaims, user: User | None) -> User | None:
    """Return the user a token's claims name, if it is active and the token's version is current."""
    if user is None or claims.version != user.token_version:
        return None
    return user


def _current_user(token) -> User | None:
    key = parse_id(User, token.get("userId"))
    if key is None:
        return None
    user = User.objects.filter(pk=key, is_active=True).first()
    if user is None or token.get(VERSION_CLAIM, 0) != user.token_version:
        return None
    return user
