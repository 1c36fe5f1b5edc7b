"""Origin checks for cookie-authenticated sockets (a browser's ambient credential).

The rule of Django's CSRF check: the Origin must be this very site, scheme, host and port,
as the socket's own request names them (its Host header, checked against ALLOWED_HOSTS, and
`https` when the connection or the proxy's SECURE_PROXY_SSL_HEADER says so), or be listed
in CSRF_TRUSTED_ORIGINS (`https://*.school.example` allowing its subdomains). A page served
from another port or scheme of the same host is another origin and is refused.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest
from django.utils.http import is_same_domain


class _HandshakeRequest(HttpRequest):
    """The WebSocket handshake seen as Django sees an HTTP request: its host and scheme."""

    def __init__(self, scope: dict) -> None:
        super().__init__()
        for name, value in scope.get("headers", []):
            key = "HTTP_" + name.decode("latin-1").upper().replace("-", "_")
            text = value.decode("latin-1")
            self.META[key] = f"{self.META[key]},{text}" if key in self.META else text
        server = scope.get("server") or ("", "")
        self.META["SERVER_NAME"], self.META["SERVER_PORT"] = str(server[0] or ""), str(server[1] or "")
        self._secure_transport = scope.get("scheme") in {"wss", "https"}

    def _get_scheme(self) -> str:
        return "https" if self._secure_transport else "http"


def origin_allowed(scope: dict) -> bool:
    """Tell whether the socket's Origin is this site, or an origin CSRF_TRUSTED_ORIGINS lists."""
    request = _HandshakeRequest(scope)
    origin = request.META.get("HTTP_ORIGIN")
    if not origin or "," in origin:
        return False
    try:
        host = request.get_host()
    except DisallowedHost:
        pass
    else:
        if origin == f"{request.scheme}://{host}":
            return True
    if origin in settings.CSRF_TRUSTED_ORIGINS:
        return True
    try:
        parts = urlsplit(origin)
    except ValueError:
        return False
    return any(
        is_same_domain(parts.netloc, trusted.netloc.lstrip("*"))
        for trusted in (urlsplit(entry) for entry in settings.CSRF_TRUSTED_ORIGINS if "*" in entry)
        if trusted.scheme == parts.scheme
    )
