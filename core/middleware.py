"""Middleware that keeps non-page routes in the JSON envelope, whatever goes wrong."""

import logging
import os
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse

from core.errors import Messages
from core.exceptions import error_body

logger = logging.getLogger("attendance.api")

# Paths that serve HTML to people; everything else speaks the JSON contract.
PAGE_PREFIXES = ("/admin", "/app", "/static", "/api/docs", "/join/")


def is_page_path(path: str) -> bool:
    """Tell whether a path belongs to the server-rendered site rather than the API."""
    return path == "/" or path.startswith(PAGE_PREFIXES)


class BodySizeLimitMiddleware:
    """Refuse bodies over DATA_UPLOAD_MAX_MEMORY_SIZE with 413 before anything reads them.

    Being the outermost middleware, it also puts error pages that Django's own layers
    produce before any view runs (a disallowed Host, say) into the envelope.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    def __call__(self, request: HttpRequest) -> HttpResponse:
        declared = request.META.get("CONTENT_LENGTH") or ""
        try:
            length = int(declared or "0")
        except ValueError:
            length = -1
        if length < 0:
            return JsonResponse(error_body(Messages.INVALID_SCHEMA), status=400)
        received = _buffered_size(request)
        if received is not None:
            # Over ASGI the whole body is already buffered: trust its size, not the header.
            # A chunked body carries no Content-Length; give it one so that DRF reads it.
            if not declared and received:
                request.META["CONTENT_LENGTH"] = str(received)
            length = max(length, received)
        if length > self.limit:
            return JsonResponse(error_body(Messages.BODY_TOO_LARGE), status=413)
        return in_envelope(request, self.get_response(request))


class JsonErrorMiddleware:
    """Render 404s, 405s and crashes outside DRF views in the envelope on API paths."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return in_envelope(request, self.get_response(request))

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """Log the traceback and answer 500 in the envelope, leaking no details."""
        if is_page_path(request.path):
            return None
        if isinstance(exception, RequestDataTooBig):
            return JsonResponse(error_body(Messages.BODY_TOO_LARGE), status=413)
        logger.error("Unhandled error on %s %s", request.method, request.path, exc_info=exception)
        return JsonResponse(error_body(Messages.INTERNAL), status=500)


_MESSAGES = {
    400: Messages.BAD_REQUEST,
    404: Messages.NOT_FOUND,
    405: Messages.METHOD_NOT_ALLOWED,
    413: Messages.BODY_TOO_LARGE,
}


def in_envelope(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Return the response, or its enveloped twin when an API path got a non-JSON error page."""
    if (
        response.status_code < 400
        or is_page_path(request.path)
        or response.get("Content-Type", "").startswith("application/json")
    ):
        return response
    status = response.status_code
    message = Messages.INTERNAL if status >= 500 else _MESSAGES.get(status, response.reason_phrase)
    headers = {name: response[name] for name in ("Allow", "WWW-Authenticate") if response.has_header(name)}
    return JsonResponse(error_body(message), status=status, headers=headers)


def _buffered_size(request: HttpRequest) -> int | None:
    """Return the size of a body the server has already buffered (ASGI), or None (WSGI)."""
    stream = getattr(request, "_stream", None)
    if stream is None or not getattr(stream, "seekable", lambda: False)():
        return None
    position = stream.tell()
    size = stream.seek(0, os.SEEK_END)
    stream.seek(position)
    return size
