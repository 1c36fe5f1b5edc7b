"""Signup, login, token refresh and `me`."""

from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.serializers import AccessOut, LoginIn, RefreshIn, SignupIn, TokensOut, UserOut
from accounts.tokens import refresh_access
from core import schema
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
        },
        auth=False,
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        body = validated(SignupIn, request.data)
        user = services.user_signup(**body)
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
        tokens = services.user_login(
            email=body["email"], password=body["password"], client=request.META.get("REMOTE_ADDR", "")
        )
        return ok(tokens)


class RefreshView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @schema.documented(
        summary="Exchange a refresh token for a new access token",
        request=RefreshIn,
        responses={
            200: schema.ok("RefreshOk", AccessOut()),
            400: schema.INVALID,
            401: schema.UNAUTHORIZED,
        },
        auth=False,
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        body = validated(RefreshIn, request.data)
        token = refresh_access(body["refresh"])
        if token is None:
            raise ApplicationError(Messages.UNAUTHORIZED, 401)
        return ok({"token": token})


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @schema.documented(
        summary="The signed-in user",
        responses={200: schema.ok("MeOk", UserOut()), 401: schema.UNAUTHORIZED},
        tags=["auth"],
    )
    def get(self, request: Request) -> Response:
        return ok(UserOut(request.user).data)
