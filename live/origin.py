"""Origin checks for cookie-authenticated sockets (a browser's ambient credential)."""

from urllib.parse import urlsplit

from django.conf import settings
from django.http.request import validate_host


def origin_allowed(scope: dict) -> bool:
    """Tell whether the socket's Origin is this site (ALLOWED_HOSTS or CSRF_TRUSTED_ORIGINS)."""
    origin = None
    for name, value in scope.get("headers", []):
        if name == b"origin":
            origin = value.decode("latin-1")
            break
    if not origin:
        return False
    if origin in settings.CSRF_TRUSTED_ORIGINS:
        return True
    parts = urlsplit(origin)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return False
    return validate_host(parts.hostname, settings.ALLOWED_HOSTS)
