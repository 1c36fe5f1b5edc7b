"""OpenAPI helpers: describe the `{success, data}` / `{success, error}` envelopes."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers

ErrorEnvelope = inline_serializer(
    name="ErrorEnvelope",
    fields={
        "success": serializers.BooleanField(default=False),
        "error": serializers.CharField(),
    },
)


def ok(name: str, data, description: str = "") -> OpenApiResponse:
    """Document a success envelope whose `data` is `data` (a serializer instance)."""
    return OpenApiResponse(
        response=inline_serializer(name=name, fields={"success": serializers.BooleanField(default=True), "data": data}),
        description=description,
    )


def error(description: str) -> OpenApiResponse:
    """Document one error response; `description` lists its exact message(s)."""
    return OpenApiResponse(response=ErrorEnvelope, description=description)


UNAUTHORIZED = error("`Unauthorized, token missing or invalid`")
INVALID = error("`Invalid request schema`")
CLASS_NOT_FOUND = error("`Class not found`")


def documented(*, summary: str, request=None, responses: dict, auth: bool = True, tags=None, operation_id=None):
    """Shorthand for extend_schema with the envelope's responses."""
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        request=request,
        responses=responses,
        auth=None if auth else [],
        tags=tags,
    )
