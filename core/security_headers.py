"""The browser-facing security policy: Content-Security-Policy directives, Permissions-Policy
and `Cache-Control: no-store` on everything the app renders.

The pages carry no inline script, so scripts come from this origin only. The one exception is
the API docs page (Swagger UI's inline bootstrap), which the URLconf relaxes for itself.
HSTS, Referrer-Policy and nosniff come from Django's SecurityMiddleware (settings).
"""

from collections.abc import Callable

from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.http import HttpRequest, HttpResponse

CONTENT_SECURITY_POLICY_DIRECTIVES = {
    "default-src": [SELF],
    "script-src": [SELF],
    # Stylesheets from this origin, plus the 500 page's own <style> block by its hash.
    "style-src": [SELF, "'sha256-K/q4fOWO6/fztmFqVaCKRhy0jfcJ1Z0pVXGI62BxeWs='"],
    # style="" attributes (a meter's width) cannot run code; <style> elements stay strict.
    "style-src-attr": [UNSAFE_INLINE],
    "img-src": [SELF, "data:"],
    "font-src": [SELF],
    # 'self' covers the same-origin WebSocket (ws:// and wss://) as well as fetches.
    "connect-src": [SELF],
    "object-src": [NONE],
    "base-uri": [SELF],
    "form-action": [SELF],
    "frame-ancestors": [NONE],
}

# The docs page's Swagger UI bootstraps with an inline script and style: allowed there only.
API_DOCS_CSP_UPDATE = {"script-src": [UNSAFE_INLINE], "style-src": [UNSAFE_INLINE]}

PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in ("camera", "microphone", "geolocation", "payment", "usb"))


class SecurityHeadersMiddleware:
    """Add Permissions-Policy everywhere and `no-store` to every response the app renders.

    Static files never reach this middleware (WhiteNoise answers them first, with their own
    long-lived caching); everything else is private to its user (pages, exports, API data
    and tokens) and must not stay in a shared or back-button cache.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
        return response
