"""The DRF exception handler maps every failure to the contract's envelope."""

import logging

import pytest
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from rest_framework import exceptions

from core.errors import ApplicationError, Messages
from core.exceptions import envelope_exception_handler


@pytest.mark.parametrize(
    ("exc", "status", "message"),
    [
        (ApplicationError(Messages.CLASS_NOT_FOUND, 404), 404, Messages.CLASS_NOT_FOUND),
        (ApplicationError(Messages.EMAIL_EXISTS), 400, Messages.EMAIL_EXISTS),
        (exceptions.NotAuthenticated(), 401, Messages.UNAUTHORIZED),
        (exceptions.AuthenticationFailed("jwt decode failed: detail"), 401, Messages.UNAUTHORIZED),
        (exceptions.ParseError("JSON parse error - Expecting value"), 400, Messages.INVALID_SCHEMA),
        (exceptions.UnsupportedMediaType("text/plain"), 400, Messages.INVALID_SCHEMA),
        (exceptions.ValidationError({"name": ["This field is required."]}), 400, Messages.INVALID_SCHEMA),
        (exceptions.MethodNotAllowed("GET"), 405, Messages.METHOD_NOT_ALLOWED),
        (exceptions.NotFound(), 404, Messages.NOT_FOUND),
        (Http404("No Class matches the given query."), 404, Messages.NOT_FOUND),
        (exceptions.Throttled(wait=3), 429, "Request was throttled. Expected available in 3 seconds."),
        (
            RequestDataTooBig("Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE."),
            413,
            Messages.BODY_TOO_LARGE,
        ),
        (exceptions.PermissionDenied(Messages.TEACHER_REQUIRED), 403, Messages.TEACHER_REQUIRED),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else str(value),
)
def test_known_failures_become_the_envelope(exc, status, message):
    response = envelope_exception_handler(exc, {})

    assert response.status_code == status
    assert response.data == {"success": False, "error": message}


def test_401_tells_the_client_the_scheme():
    response = envelope_exception_handler(exceptions.NotAuthenticated(), {})

    assert response["WWW-Authenticate"] == "Bearer"


def test_validation_details_never_reach_the_client():
    response = envelope_exception_handler(exceptions.ValidationError({"password": ["secret-detail"]}), {})

    assert "secret-detail" not in str(response.data)


def test_unexpected_exception_is_500_and_logged_with_traceback(caplog):
    try:
        raise LookupError("internal detail")
    except LookupError as exc:
        with caplog.at_level(logging.ERROR, logger="attendance.api"):
            response = envelope_exception_handler(exc, {})

    assert response.status_code == 500
    assert response.data == {"success": False, "error": Messages.INTERNAL}
    assert caplog.records[-1].exc_info is not None
    assert "internal detail" in caplog.text
