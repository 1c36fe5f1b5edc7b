"""Middleware that keeps non-page routes in the JSON envelope, whatever goes wrong."""

import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from attendance_project.errors import Messages
from attendance_project.exceptions import error_body

logger = logging.getLogger("attendance.api")

# Paths that serve HTML to people; everything else speaks the JSON contract.
PAGE_PREFIXES = ("/admin", "/app", "/static", "/api/docs")


def is_page_path(path: str) -> bool:
    """Tell whether a path belongs to the server-rendered site rather than the API."""
    return path == "/" or path.startswith(PAGE_PREFIXES)


class BodySizeLimitMiddleware:
    """Refuse bodies over DATA_UPLOAD_MAX_MEMORY_SIZE with 413 before anything reads them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or "0")
        except ValueError:
            length = -1
        if length < 0:
            return JsonResponse(error_body(Messages.INVALID_SCHEMA), status=400)
        if length > self.limit:
            return JsonResponse(error_body(Messages.BODY_TOO_LARGE), status=413)
        return self.get_response(request)


class JsonErrorMiddleware:
    """Render 404s, 405s and crashes outside DRF views in the envelope on API paths."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if is_page_path(request.path) or response.get("Content-Type", "").startswith("application/json"):
            return response
        if response.status_code == 404:
            return JsonResponse(error_body(Messages.NOT_FOUND), status=404)
        if response.status_code == 405:
            return JsonResponse(error_body(Messages.METHOD_NOT_ALLOWED), status=405, headers=_allow(response))
        if response.status_code == 413:
            return JsonResponse(error_body(Messages.BODY_TOO_LARGE), status=413)
        if response.status_code >= 500:
            return JsonResponse(error_body(Messages.INTERNAL), status=response.status_code)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """Log the traceback and answer 500 in the envelope, leaking no details."""
        if is_page_path(request.path):
            return None
        logger.error("Unhandled error on %s %s", request.method, request.path, exc_info=exception)
        return JsonResponse(error_body(Messages.INTERNAL), status=500)


def _allow(response: HttpResponse) -> dict[str, str]:
    allow = response.get("Allow")
    return {"Allow": allow} if allow else {}
