"""Issue and read the contract's JWTs: claims `userId` (string) and `role`."""

from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.models import User
from core.ids import parse_id


def _add_claims(token, user: User):
    token["userId"] = str(user.pk)
    token["role"] = user.role
    return token


def issue_tokens(user: User) -> dict[str, str]:
    """Return an access token (`token`) and a refresh token for a user."""
    refresh = _add_claims(RefreshToken.for_user(user), user)
    access = _add_claims(refresh.access_token, user)
    return {"token": str(access), "refresh": str(refresh)}


def refresh_access(raw_refresh: str) -> str | None:
    """Return a fresh access token for a valid refresh token of an active user."""
    try:
        refresh = RefreshToken(raw_refresh)
    except (TokenError, TypeError, ValueError):
        return None
    user = _active_user(refresh.get("userId"))
    if user is None:
        return None
    return str(_add_claims(AccessToken.for_user(user), user))


def user_from_token(raw: str | bytes | None) -> User | None:
    """Return the active user an access token names, or None for any bad token."""
    if not raw:
        return None
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("ascii")
        except UnicodeDecodeError:
            return None
    if len(raw) > 4096:
        return None
    try:
        token = AccessToken(raw)
    except (TokenError, TypeError, ValueError):
        return None
    return _active_user(token.get("userId"))


def _active_user(user_id: object) -> User | None:
    key = parse_id(User, user_id)
    if key is None:
        return None
    user = User.objects.filter(pk=key, is_active=True).first()
    return user
