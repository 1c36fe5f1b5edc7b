"""Signup, login, token refresh, `me`, password change and logout everywhere."""

from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.serializers import EmptyOut, LoginIn, PasswordChangeIn, RefreshIn, SignupIn, TokensOut, UserOut
from accounts.tokens import rotate_refresh
from core import schema
from core.client_address import client_address
from core.errors import ApplicationError, Messages
from core.responses import ok
from core.validation import validated


class SignupView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @schema.documented(
        summary="Create a teacher or student account",
        request=SignupIn,
        responses={
            201: schema.ok("SignupOk", UserOut()),
            400: schema.error("`Invalid request schema` or `Email already exists`"),
            429: schema.error("`Too many signups, try again later`"),
        },
        auth=False,
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        body = validated(SignupIn, request.data)
        user = services.user_signup(
            **body, client=client_address(request), full_password_rules=services.api_password_rules_are_strict()
        )
        return ok(UserOut(user).data, status=201)


class LoginView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @schema.documented(
        summary="Exchange email and password for a JWT (`token`) and a refresh token",
        request=LoginIn,
        responses={
            200: schema.ok("LoginOk", TokensOut()),
            400: schema.error("`Invalid request schema` or `Invalid email or password`"),
            429: schema.error("`Too many failed login attempts, try again later`"),
        },
        auth=False,
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        body = validated(LoginIn, request.data)
        tokens = services.user_login(email=body["email"], password=body["password"], client=client_address(request))
        return ok(tokens)


class RefreshView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @schema.documented(
        summary="Spend a refresh token (once) for a new access token and a new refresh token",
        request=RefreshIn,
        responses={
            200: schema.ok("RefreshOk", TokensOut()),
            400: schema.INVALID,
            401: schema.UNAUTHORIZED,
        },
        auth=False,
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        body = validated(RefreshIn, request.data)
        tokens = rotate_refresh(body["refresh"])
        if tokens is None:
            raise ApplicationError(Messages.UNAUTHORIZED, 401)
        return ok(tokens)


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @schema.documented(
        summary="The signed-in user",
        responses={200: schema.ok("MeOk", UserOut()), 401: schema.UNAUTHORIZED},
        tags=["auth"],
    )
    def get(self, request: Request) -> Response:
        return ok(UserOut(request.user).data)


class PasswordView(APIView):
    permission_classes = [IsAuthenticated]

    @schema.documented(
        summary="Change the password; every earlier token of the user stops working",
        request=PasswordChangeIn,
        responses={
            200: schema.ok("PasswordOk", TokensOut()),
            400: schema.error("`Invalid request schema` or `Current password is incorrect`"),
            401: schema.UNAUTHORIZED,
            429: schema.error("`Too many failed login attempts, try again later`"),
        },
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        body = validated(PasswordChangeIn, request.data)
        tokens = services.change_password(
            user=request.user,
            current_password=body["currentPassword"],
            new_password=body["newPassword"],
            client=client_address(request),
        )
        return ok(tokens)


class LogoutAllView(APIView):
    permission_classes = [IsAuthenticated]

    @schema.documented(
        summary="Sign out everywhere: every access and refresh token of the user stops working",
        responses={200: schema.ok("LogoutAllOk", EmptyOut()), 401: schema.UNAUTHORIZED},
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        services.logout_everywhere(user=request.user)
        return ok({})
