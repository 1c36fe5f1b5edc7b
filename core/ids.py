"""Turn id strings from paths, bodies and frames into model instances, or 'not found'."""

from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db import models

from core.errors import ApplicationError

ModelT = TypeVar("ModelT", bound=models.Model)


def parse_id(model: type[models.Model], raw: object) -> object | None:
    """Return the backend's key value for `raw`, or None when it cannot name a row."""
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        return None
    text = str(raw).strip()
    if not text or len(text) > 64:
        return None
    try:
        value = model._meta.pk.to_python(text)
    except (ValidationError, ValueError, TypeError, OverflowError):
        return None
    if isinstance(value, int) and not 0 < value < 2**63:
        return None  # beyond any SQL key column: cannot name a row
    return value


def get_by_id(queryset: "models.QuerySet[ModelT]", raw: object, message: str) -> ModelT:
    """Fetch one row by id string, raising the contract's 404 for anything else."""
    key = parse_id(queryset.model, raw)
    if key is None:
        raise ApplicationError(message, 404)
    try:
        return queryset.get(pk=key)
    except (queryset.model.DoesNotExist, ValidationError, ValueError, TypeError, OverflowError):
        raise ApplicationError(message, 404) from None
