"""Rules for the secrets the settings read from the environment."""

import hashlib
import hmac

from django.core.exceptions import ImproperlyConfigured

MIN_JWT_SECRET_LENGTH = 32


def check_jwt_secret(secret: str, default: str) -> None:
    """Refuse the development default and any JWT_SECRET shorter than 32 characters."""
    if secret == default:
        raise ImproperlyConfigured(
            "JWT_SECRET is not set. Refusing to start with DEBUG off and the default secret: "
            "set JWT_SECRET to a long random value (or DEBUG=1 for local development)."
        )
    if len(secret) < MIN_JWT_SECRET_LENGTH:
        raise ImproperlyConfigured(
            f"JWT_SECRET is {len(secret)} characters long; with DEBUG off it must be at least "
            f"{MIN_JWT_SECRET_LENGTH} (for example: python -c 'import secrets; print(secrets.token_urlsafe(48))')."
        )


def derived_secret_key(jwt_secret: str) -> str:
    """Return Django's SECRET_KEY derived from JWT_SECRET, for when DJANGO_SECRET_KEY is unset.

    A one-way derivation: the key signing sessions and CSRF tokens is never the one that
    signs JWTs, and knowing one does not give the other.
    """
    return hmac.new(jwt_secret.encode("utf-8"), b"attendance django SECRET_KEY", hashlib.sha256).hexdigest()
