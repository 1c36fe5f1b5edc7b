"""Tokens can be revoked: password change, logout everywhere, deactivation; refresh tokens rotate."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts import events
from accounts.models import User
from core.errors import Messages
from tests import factories

pytestmark = pytest.mark.django_db

STRONG = "Violet-orbit-42"


def login(api: APIClient, email: str, password: str = factories.PASSWORD) -> dict:
    response = api.post("/auth/login", {"email": email, "password": password}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["data"]


def me(token: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=token)
    return client.get("/auth/me")


def refresh(api: APIClient, token: str):
    return api.post("/auth/refresh", {"refresh": token}, format="json")


def as_user(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def assert_unauthorized(response) -> None:
    assert response.status_code == 401
    assert response.json() == {"success": False, "error": Messages.UNAUTHORIZED}


@pytest.fixture
def revoked(monkeypatch):
    """The user ids `access_revoked` was sent for."""
    sent: list[str] = []

    def receiver(sender, user_id, **kwargs):
        sent.append(user_id)

    events.access_revoked.connect(receiver)
    yield sent
    events.access_revoked.disconnect(receiver)


def test_a_password_change_refuses_every_earlier_token_and_returns_working_ones(
    api, student, revoked, django_capture_on_commit_callbacks
):
    laptop, phone = login(api, student.email), login(api, student.email)

    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(laptop["token"]).post(
            "/auth/password", {"currentPassword": factories.PASSWORD, "newPassword": STRONG}, format="json"
        )

    assert response.status_code == 200, response.content
    fresh = response.json()["data"]
    assert set(fresh) == {"token", "refresh"}
    for old in (laptop, phone):
        assert_unauthorized(me(old["token"]))
        assert_unauthorized(refresh(api, old["refresh"]))
    assert me(fresh["token"]).json()["data"]["email"] == student.email
    assert refresh(api, fresh["refresh"]).status_code == 200
    assert (
        api.post("/auth/login", {"email": student.email, "password": factories.PASSWORD}, format="json").status_code
        == 400
    )
    assert login(api, student.email, STRONG)["token"]
    assert revoked == [str(student.pk)]


def test_a_wrong_current_password_changes_nothing(api, student):
    tokens = login(api, student.email)

    response = as_user(tokens["token"]).post(
        "/auth/password", {"currentPassword": "not-it", "newPassword": STRONG}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"success": False, "error": Messages.WRONG_PASSWORD}
    assert me(tokens["token"]).status_code == 200
    assert User.objects.get(pk=student.pk).check_password(factories.PASSWORD)


@pytest.mark.parametrize("new", ["short", "password123", "12345678901", "student-school"], ids=repr)
def test_a_weak_new_password_is_the_schema_error_and_changes_nothing(api, student, new):
    tokens = login(api, student.email)

    response = as_user(tokens["token"]).post(
        "/auth/password", {"currentPassword": factories.PASSWORD, "newPassword": new}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"success": False, "error": Messages.INVALID_SCHEMA}
    assert me(tokens["token"]).status_code == 200
    assert User.objects.get(pk=student.pk).check_password(factories.PASSWORD)


@pytest.mark.parametrize(
    "body", [{}, {"currentPassword": factories.PASSWORD}, {"currentPassword": 5, "newPassword": STRONG}], ids=repr
)
def test_a_malformed_password_change_is_the_schema_error(api, student, body):
    tokens = login(api, student.email)

    response = as_user(tokens["token"]).post("/auth/password", body, format="json")

    assert response.status_code == 400
    assert response.json() == {"success": False, "error": Messages.INVALID_SCHEMA}


def test_guessing_the_current_password_with_a_stolen_token_is_locked_out(api, student, settings):
    tokens = login(api, student.email)
    client = as_user(tokens["token"])
    for n in range(settings.LOGIN_FAILURE_LIMIT):
        client.post("/auth/password", {"currentPassword": f"guess-{n}", "newPassword": STRONG}, format="json")

    response = client.post(
        "/auth/password", {"currentPassword": factories.PASSWORD, "newPassword": STRONG}, format="json"
    )

    assert response.status_code == 429
    assert User.objects.get(pk=student.pk).check_password(factories.PASSWORD)


@pytest.mark.parametrize("path", ["/auth/password", "/auth/logout-all"])
def test_the_new_routes_need_a_token(api, path):
    assert_unauthorized(api.post(path, {}, format="json"))


def test_logout_all_refuses_every_earlier_token(api, teacher, revoked, django_capture_on_commit_callbacks):
    first, second = login(api, teacher.email), login(api, teacher.email)

    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(first["token"]).post("/auth/logout-all", format="json")

    assert response.status_code == 200
    assert response.json() == {"success": True, "data": {}}
    for old in (first, second):
        assert_unauthorized(me(old["token"]))
        assert_unauthorized(refresh(api, old["refresh"]))
    assert me(login(api, teacher.email)["token"]).status_code == 200
    assert revoked == [str(teacher.pk)]


def test_logout_all_ends_every_page_session_too(api, teacher):
    page, other_page = Client(), Client()
    for client in (page, other_page):
        client.force_login(teacher)
        assert client.get("/app/").status_code == 200

    as_user(login(api, teacher.email)["token"]).post("/auth/logout-all", format="json")

    for client in (page, other_page):
        response = client.get("/app/")
        assert response.status_code == 302
        assert response.url == "/?next=/app/"
    again = Client()
    again.force_login(User.objects.get(pk=teacher.pk))
    assert again.get("/app/").status_code == 200


def test_logout_all_leaves_other_users_signed_in(api, teacher, student):
    theirs = login(api, student.email)

    as_user(login(api, teacher.email)["token"]).post("/auth/logout-all", format="json")

    assert me(theirs["token"]).status_code == 200


def test_a_refresh_token_works_once_and_its_successor_works(api, student):
    tokens = login(api, student.email)

    first = refresh(api, tokens["refresh"])
    replay = refresh(api, tokens["refresh"])

    assert first.status_code == 200
    assert set(first.json()["data"]) == {"token", "refresh"}
    assert_unauthorized(replay)
    successor = first.json()["data"]
    assert me(successor["token"]).status_code == 200
    assert refresh(api, successor["refresh"]).status_code == 200


def test_a_refresh_is_refused_when_its_use_cannot_be_recorded(api, student, monkeypatch, caplog):
    from accounts import tokens as token_module

    class DeadCache:
        def add(self, *args, **kwargs):
            raise ConnectionError("refused")

    tokens = login(api, student.email)
    monkeypatch.setattr(token_module, "cache", DeadCache())

    assert_unauthorized(refresh(api, tokens["refresh"]))
    assert "Refresh token refused, cannot record its use" in caplog.text


def test_deactivating_a_user_revokes_and_announces(api, student, revoked, django_capture_on_commit_callbacks):
    tokens = login(api, student.email)

    with django_capture_on_commit_callbacks(execute=True):
        user = User.objects.get(pk=student.pk)
        user.is_active = False
        user.save()
    user.is_active = True
    user.save()

    assert_unauthorized(me(tokens["token"]))
    assert_unauthorized(refresh(api, tokens["refresh"]))
    assert revoked == [str(student.pk)]


def test_deleting_a_user_announces(student, revoked, django_capture_on_commit_callbacks):
    user_id = str(student.pk)

    with django_capture_on_commit_callbacks(execute=True):
        student.delete()

    assert revoked == [user_id]


def test_a_token_from_before_versions_counts_as_version_zero(student):
    from rest_framework_simplejwt.tokens import AccessToken

    token = AccessToken.for_user(student)
    token["userId"] = str(student.pk)
    token["role"] = student.role

    assert me(str(token)).status_code == 200


def test_an_admin_setting_a_password_revokes_that_users_tokens(
    api, student, revoked, django_capture_on_commit_callbacks
):
    tokens = login(api, student.email)
    root = User.objects.create_superuser(email="root@school.test", password="admin-pass-1")
    admin = Client()
    admin.force_login(root)

    with django_capture_on_commit_callbacks(execute=True):
        weak = admin.post(
            f"/admin/accounts/user/{student.pk}/password/", {"password1": "aaaaaa", "password2": "aaaaaa"}
        )
        response = admin.post(
            f"/admin/accounts/user/{student.pk}/password/", {"password1": STRONG, "password2": STRONG}
        )

    assert weak.status_code == 200  # refused by the validators, form shown again
    assert response.status_code == 302
    assert_unauthorized(me(tokens["token"]))
    assert login(api, student.email, STRONG)["token"]
    assert revoked == [str(student.pk)]
