"""Who a WebSocket is: `?token=` for API clients, the session cookie for the site's own pages.

A token, when given, decides alone (a bad one is no one). Without one, the Django session
cookie counts only from an allowed Origin: a page on another site must not ride a signed-in
browser's cookie. The middleware sets `scope["user"]`, an AnonymousUser when no one; the
consumer answers that with the contract's ERROR and closes.
"""

import logging
from importlib import import_module
from urllib.parse import parse_qs

from channels.auth import get_user
from channels.middleware import BaseMiddleware
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import parse_cookie

from accounts.tokens import user_from_token
from live.origin import origin_allowed
from live.threads import in_thread

logger = logging.getLogger("attendance.ws")


class WebSocketAuthMiddleware(BaseMiddleware):
    """Set `scope["user"]` from the token or, from an allowed Origin, the session cookie."""

    async def __call__(self, scope, receive, send):
        scope = dict(scope, user=await authenticate(scope) or AnonymousUser())
        return await super().__call__(scope, receive, send)


async def authenticate(scope: dict):
    """Return the socket's user, or None."""
    tokens = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token")
    if tokens:
        return await in_thread(user_from_token)(tokens[0])
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
    return user


def _cookies(scope: dict) -> dict[str, str]:
    cookies: dict[str, str] = {}
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            cookies.update(parse_cookie(value.decode("latin-1")))
    return cookies
