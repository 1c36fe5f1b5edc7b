"""DRF authentication for `Authorization: <JWT>` and `Authorization: Bearer <JWT>`."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed

from accounts.tokens import user_from_token
from core.errors import Messages


def token_from_header(header: str) -> str | None:
    """Return the raw token of an Authorization header, with or without `Bearer `."""
    parts = header.split()
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2 and parts[0].lower() == "bearer":
        return parts[1]
    return None


class ContractJWTAuthentication(BaseAuthentication):
    """Authenticate by JWT; any bad header is the contract's 401."""

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header.strip():
            return None
        raw = token_from_header(header)
        user = user_from_token(raw)
        if user is None:
            raise AuthenticationFailed(Messages.UNAUTHORIZED)
        return user, raw

    def authenticate_header(self, request) -> str:
        return "Bearer"


class ContractJWTScheme(OpenApiAuthenticationExtension):
    """Describe the raw-or-Bearer JWT header in the OpenAPI schema."""

    target_class = ContractJWTAuthentication
    name = "jwt"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "The JWT from POST /auth/login, raw or as `Bearer <JWT>`.",
        }
