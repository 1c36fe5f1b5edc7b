"""Who a WebSocket is: `?token=` for API clients, the session cookie for the site's own pages.

A token, when given, decides alone (a bad one is no one). Without one, the Django session
cookie counts only from this site's own Origin (live.origin): a page on another site, or on
another port or scheme of this host, must not ride a signed-in browser's cookie. The
middleware sets `scope["user"]`, an AnonymousUser when no one, and `scope["access"]`: when
the credential expires and which page session it is, so that the consumer can close the
socket when the credential ends. When the database cannot be asked, `scope["auth_failed"]`
says so and the consumer answers "try again" rather than "unauthorized".
"""

import hashlib
import logging
from dataclasses import dataclass
from importlib import import_module
from urllib.parse import parse_qs

from channels.auth import get_user
from channels.middleware import BaseMiddleware
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import parse_cookie

from accounts.tokens import access_claims, active_users, current_user
from live.batching import batch_of
from live.origin import origin_allowed
from live.threads import in_thread

logger = logging.getLogger("attendance.ws")


@dataclass(frozen=True)
class Access:
    """A socket's credential: its user, when it expires (Unix time, None for a page session)
    and, for a page session, a digest of its key (never the key itself)."""

    user: object
    expires_at: float | None = None
    session: str | None = None


def session_digest(session_key: str) -> str:
    """Name a page session without revealing its key (group names travel through Redis)."""
    return hashlib.sha256(session_key.encode()).hexdigest()[:32]


class WebSocketAuthMiddleware(BaseMiddleware):
    """Set `scope["user"]` and `scope["access"]` from the token or, from this site, the session cookie."""

    async def __call__(self, scope, receive, send):
        try:
            access = await authenticate(scope)
        except Exception:
            logger.warning("Could not authenticate a socket: the database is unavailable", exc_info=True)
            scope = dict(scope, user=AnonymousUser(), access=None, auth_failed=True)
        else:
            scope = dict(scope, user=access.user if access else AnonymousUser(), access=access)
        return await super().__call__(scope, receive, send)


async def authenticate(scope: dict) -> Access | None:
    """Return the socket's credential, or None; run again, it tells whether it still holds."""
    tokens = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token")
    if tokens:
        claims = access_claims(tokens[0])
        if claims is None:
            return None
        user = current_user(claims, await batch_of("users", _load_users).get(claims.key))
        return Access(user=user, expires_at=claims.expires_at) if user is not None else None
    session_key = _cookies(scope).get(settings.SESSION_COOKIE_NAME)
    if not session_key:
        return None
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    user = await get_user({"session": store})
    if not user.is_authenticated:
        return None
    if not origin_allowed(scope):
        logger.warning("Refused a cookie-authenticated socket from a foreign origin")
        return None
    return Access(user=user, session=session_digest(session_key))


async def _load_users(keys: list) -> dict:
    # The users of every token checked meanwhile, in one query (live.batching).
    return await in_thread(active_users)(keys)


def _cookies(scope: dict) -> dict[str, str]:
    cookies: dict[str, str] = {}
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            cookies.update(parse_cookie(value.decode("latin-1")))
    return cookies
