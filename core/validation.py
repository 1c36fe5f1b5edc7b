"""Request-body validation that answers with the contract's one 400 message."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from core.errors import ApplicationError, Messages


class ContractJSONParser(JSONParser):
    """DRF's JSON parser, but a body nested too deep to decode is a parse error, not a crash."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply") from None


class StrictCharField(serializers.CharField):
    """A CharField that refuses numbers, booleans and objects instead of coercing them."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictEmailField(serializers.EmailField):
    """An EmailField that refuses non-strings."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_field(
    {"oneOf": [{"type": "string"}, {"type": "integer"}], "description": "an id (a string; integers are accepted)"}
)
class IdField(serializers.Field):
    """An id as clients send it: a non-empty string (numbers are accepted as their text)."""

    default_error_messages = {"invalid": "Expected an id string."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (str, int)):
            self.fail("invalid")
        text = str(data).strip()
        if not text or len(text) > 64:
            self.fail("invalid")
        return text

    def to_representation(self, value):
        return str(value)


def validated(serializer_class: type[serializers.Serializer], data: object) -> dict:
    """Return the validated body, or raise the contract's 400."""
    if not isinstance(data, dict):
        raise ApplicationError(Messages.INVALID_SCHEMA, 400)
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        raise ApplicationError(Messages.INVALID_SCHEMA, 400)
    return serializer.validated_data
