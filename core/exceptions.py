"""Render every API failure in the contract's `{"success": false, "error": ...}` envelope."""

import logging

from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from core.errors import ApplicationError, Messages

logger = logging.getLogger("attendance.api")

_DRF_MESSAGES: list[tuple[type[Exception], int, str]] = [
    (exceptions.NotAuthenticated, 401, Messages.UNAUTHORIZED),
    (exceptions.AuthenticationFailed, 401, Messages.UNAUTHORIZED),
    (exceptions.ParseError, 400, Messages.INVALID_SCHEMA),
    (exceptions.UnsupportedMediaType, 400, Messages.INVALID_SCHEMA),
    (exceptions.ValidationError, 400, Messages.INVALID_SCHEMA),
    (exceptions.MethodNotAllowed, 405, Messages.METHOD_NOT_ALLOWED),
    (exceptions.NotFound, 404, Messages.NOT_FOUND),
    (Http404, 404, Messages.NOT_FOUND),
    # Django's own check on the body actually received (a Content-Length that understates it).
    (RequestDataTooBig, 413, Messages.BODY_TOO_LARGE),
]


def error_body(message: str) -> dict:
    """Return the contract's failure envelope."""
    return {"success": False, "error": message}


def envelope_exception_handler(exc: Exception, context: dict) -> Response | None:
    """Map application, DRF and unexpected errors to enveloped responses."""
    if isinstance(exc, ApplicationError):
        set_rollback()
        return Response(error_body(exc.message), status=exc.status)
    for exc_type, code, message in _DRF_MESSAGES:
        if isinstance(exc, exc_type):
            set_rollback()
            headers = {}
            if code == 401:
                headers["WWW-Authenticate"] = "Bearer"
            return Response(error_body(message), status=code, headers=headers)
    if isinstance(exc, exceptions.PermissionDenied):
        return Response(error_body(str(exc.detail)), status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, exceptions.APIException):
        return Response(error_body(str(exc.detail)), status=exc.status_code)
    view = context.get("view")
    logger.exception("Unhandled error in %s", type(view).__name__ if view else "API view")
    set_rollback()
    return Response(error_body(Messages.INTERNAL), status=500)
