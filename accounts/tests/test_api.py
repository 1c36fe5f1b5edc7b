"""The auth routes of the REST contract: signup, login, refresh, me."""

import json

import pytest
from rest_framework.test import APIClient

from accounts.models import Role, User
from core.errors import Messages
from tests import factories

pytestmark = pytest.mark.django_db


def assert_error(response, status: int, message: str) -> None:
    assert response.status_code == status, response.content
    assert response.json() == {"success": False, "error": message}


def signup(api: APIClient, **overrides):
    body = {"name": "Ada", "email": "ada@school.test", "password": "secret1", "role": "teacher"}
    body.update(overrides)
    return api.post("/auth/signup", body, format="json")


def post_raw(api: APIClient, path: str, body: str, content_type: str = "application/json"):
    return api.generic("POST", path, body, content_type=content_type)


# --- signup ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["teacher", "student"])
def test_signup_returns_201_with_the_user_and_string_id(api, role):
    response = signup(api, role=role)

    assert response.status_code == 201
    body = response.json()
    assert body["success"] is True
    data = body["data"]
    assert set(data) == {"_id", "name", "email", "role"}
    assert isinstance(data["_id"], str)
    assert data == {"_id": data["_id"], "name": "Ada", "email": "ada@school.test", "role": role}
    assert User.objects.get(pk=data["_id"]).role == role


def test_signup_never_returns_the_password_and_stores_it_hashed(api):
    response = signup(api, password="plain-secret")

    assert "plain-secret" not in response.content.decode()
    assert "password" not in response.json()["data"]
    user = User.objects.get(email="ada@school.test")
    assert user.password != "plain-secret"
    assert "plain-secret" not in user.password
    assert user.check_password("plain-secret")


def test_signup_duplicate_email_is_400(api):
    signup(api)

    assert_error(signup(api, name="Other"), 400, Messages.EMAIL_EXISTS)
    assert User.objects.count() == 1


def test_signup_duplicate_email_differing_only_in_case_is_400(api):
    signup(api, email="Ada.Lovelace@School.test")

    assert_error(signup(api, email="ada.lovelace@school.TEST"), 400, Messages.EMAIL_EXISTS)
    assert User.objects.count() == 1


def test_login_works_with_the_email_in_another_case(api):
    signup(api, email="Mixed.Case@School.test")

    response = api.post("/auth/login", {"email": "mixed.case@SCHOOL.TEST", "password": "secret1"}, format="json")

    assert response.status_code == 200
    assert response.json()["data"]["token"]


@pytest.mark.parametrize(
    "overrides",
    [
        {"name": ""},
        {"name": "   "},
        {"email": "not-an-email"},
        {"email": ""},
        {"password": "12345"},
        {"password": ""},
        {"role": "admin"},
        {"role": "Teacher"},
        {"role": ""},
    ],
    ids=lambda o: "-".join(f"{k}={v!r}" for k, v in o.items()),
)
def test_signup_invalid_field_values_are_400(api, overrides):
    assert_error(signup(api, **overrides), 400, Messages.INVALID_SCHEMA)
    assert not User.objects.exists()


@pytest.mark.parametrize("field", ["name", "email", "password", "role"])
def test_signup_missing_field_is_400(api, field):
    body = {"name": "Ada", "email": "ada@school.test", "password": "secret1", "role": "teacher"}
    del body[field]

    assert_error(api.post("/auth/signup", body, format="json"), 400, Messages.INVALID_SCHEMA)


@pytest.mark.parametrize("field", ["name", "email", "password", "role"])
@pytest.mark.parametrize("value", [123456789, 1.5, True, False, None, {"a": "b"}, ["x"], {"$ne": None}], ids=repr)
def test_signup_wrong_types_are_400_not_coerced(api, field, value):
    assert_error(signup(api, **{field: value}), 400, Messages.INVALID_SCHEMA)
    assert not User.objects.exists()


def test_signup_password_of_exactly_six_characters_is_enough(api):
    assert signup(api, password="123456").status_code == 201


def test_signup_name_of_10000_characters_is_400(api):
    assert_error(signup(api, name="x" * 10_000), 400, Messages.INVALID_SCHEMA)
    assert not User.objects.exists()


def test_signup_email_of_10000_characters_is_400(api):
    assert_error(signup(api, email="a" * 10_000 + "@school.test"), 400, Messages.INVALID_SCHEMA)


@pytest.mark.parametrize(
    "name",
    ["Zoë Ångström", "李小龍", "Ωmega 🚀 ✓", "Renée O'Connor-Łukasz", "עברית"],
)
def test_signup_unicode_names_round_trip_exactly(api, name):
    response = signup(api, name=name)

    assert response.status_code == 201
    assert response.json()["data"]["name"] == name
    login = api.post("/auth/login", {"email": "ada@school.test", "password": "secret1"}, format="json")
    me = APIClient()
    me.credentials(HTTP_AUTHORIZATION=login.json()["data"]["token"])
    assert me.get("/auth/me").json()["data"]["name"] == name


def test_signup_ignores_unknown_fields_and_cannot_smuggle_staff(api):
    response = signup(
        api,
        role="student",
        is_staff=True,
        is_superuser=True,
        is_active=False,
        _id="1",
        id=1,
        password_hash="x",
        extra={"nested": True},
    )

    assert response.status_code == 201
    user = User.objects.get(email="ada@school.test")
    assert user.role == Role.STUDENT
    assert not user.is_staff
    assert not user.is_superuser
    assert user.is_active
    assert set(response.json()["data"]) == {"_id", "name", "email", "role"}


def test_signup_trims_the_name_and_stores_the_email_lower_case(api):
    response = signup(api, name="  Ada  ", email="ADA@School.Test")

    assert response.status_code == 201
    assert response.json()["data"]["name"] == "Ada"
    assert response.json()["data"]["email"] == "ada@school.test"


# --- bodies that are not a JSON object -------------------------------------------------


@pytest.mark.parametrize("path", ["/auth/signup", "/auth/login", "/auth/refresh"])
@pytest.mark.parametrize(
    "raw",
    ["{not json", "", "[]", '["a", "b"]', '"a string"', "42", "null", "true", "{'single': 'quotes'}"],
    ids=repr,
)
def test_body_that_is_not_a_json_object_is_400(api, path, raw):
    assert_error(post_raw(api, path, raw), 400, Messages.INVALID_SCHEMA)


@pytest.mark.parametrize("path", ["/auth/signup", "/auth/login"])
def test_form_encoded_body_is_400(api, path):
    response = post_raw(
        api,
        path,
        "name=Ada&email=ada%40school.test&password=secret1&role=teacher",
        content_type="application/x-www-form-urlencoded",
    )

    assert_error(response, 400, Messages.INVALID_SCHEMA)


def test_body_over_one_mebibyte_is_413_in_the_envelope(api):
    body = json.dumps({"name": "x" * (1024 * 1024 + 10), "email": "a@b.test", "password": "secret1"})

    assert_error(post_raw(api, "/auth/signup", body), 413, Messages.BODY_TOO_LARGE)
    assert not User.objects.exists()


def test_body_just_under_the_limit_is_read_and_validated(api):
    body = json.dumps(
        {"name": "x" * (1024 * 1024 - 200), "email": "a@b.test", "password": "secret1", "role": "student"}
    )

    assert_error(post_raw(api, "/auth/signup", body), 400, Messages.INVALID_SCHEMA)


# --- login ----------------------------------------------------------------------------


def test_login_returns_a_token_that_authenticates(api, student):
    response = api.post("/auth/login", {"email": student.email, "password": factories.PASSWORD}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    token = body["data"]["token"]
    assert isinstance(token, str)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=token)
    assert client.get("/auth/me").json()["data"]["_id"] == str(student.pk)


def test_login_wrong_password_is_400(api, student):
    response = api.post("/auth/login", {"email": student.email, "password": "wrong-pass"}, format="json")

    assert_error(response, 400, Messages.INVALID_LOGIN)


def test_login_unknown_email_is_400_with_the_same_message(api):
    response = api.post("/auth/login", {"email": "nobody@school.test", "password": "whatever"}, format="json")

    assert_error(response, 400, Messages.INVALID_LOGIN)


def test_login_deactivated_user_is_refused(api):
    user = factories.make_student(is_active=False)

    response = api.post("/auth/login", {"email": user.email, "password": factories.PASSWORD}, format="json")

    assert_error(response, 400, Messages.INVALID_LOGIN)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"email": "a@school.test"},
        {"password": "secret1"},
        {"email": "not-an-email", "password": "secret1"},
        {"email": 5, "password": "secret1"},
        {"email": "a@school.test", "password": 123456},
        {"email": {"$ne": None}, "password": "secret1"},
        {"email": "a@school.test", "password": {"$ne": None}},
        {"email": None, "password": None},
        {"email": ["a@school.test"], "password": "secret1"},
    ],
    ids=repr,
)
def test_login_invalid_body_is_400_schema(api, student, body):
    assert_error(api.post("/auth/login", body, format="json"), 400, Messages.INVALID_SCHEMA)


def test_login_ignores_unknown_fields(api, student):
    response = api.post(
        "/auth/login",
        {"email": student.email, "password": factories.PASSWORD, "role": "teacher", "is_staff": True},
        format="json",
    )

    assert response.status_code == 200
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=response.json()["data"]["token"])
    assert client.get("/auth/me").json()["data"]["role"] == "student"


# --- refresh --------------------------------------------------------------------------


def test_refresh_token_from_login_gives_a_new_working_access_token(api, teacher):
    login = api.post("/auth/login", {"email": teacher.email, "password": factories.PASSWORD}, format="json")
    refresh = login.json()["data"]["refresh"]

    response = api.post("/auth/refresh", {"refresh": refresh}, format="json")

    assert response.status_code == 200
    assert response.json()["success"] is True
    token = response.json()["data"]["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=token)
    me = client.get("/auth/me")
    assert me.status_code == 200
    assert me.json()["data"] == {
        "_id": str(teacher.pk),
        "name": teacher.name,
        "email": teacher.email,
        "role": "teacher",
    }


@pytest.mark.parametrize("refresh", ["garbage", "a.b.c", "x" * 3000, "Bearer abc"])
def test_bad_refresh_token_is_401(api, refresh):
    assert_error(api.post("/auth/refresh", {"refresh": refresh}, format="json"), 401, Messages.UNAUTHORIZED)


def test_access_token_is_not_accepted_as_refresh_token(api, teacher):
    access = factories.token_for(teacher)

    assert_error(api.post("/auth/refresh", {"refresh": access}, format="json"), 401, Messages.UNAUTHORIZED)


def test_refresh_token_is_not_accepted_as_access_token(api, teacher):
    login = api.post("/auth/login", {"email": teacher.email, "password": factories.PASSWORD}, format="json")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=login.json()["data"]["refresh"])

    assert_error(client.get("/auth/me"), 401, Messages.UNAUTHORIZED)


def test_refresh_for_a_deactivated_user_is_401(api, teacher):
    login = api.post("/auth/login", {"email": teacher.email, "password": factories.PASSWORD}, format="json")
    teacher.is_active = False
    teacher.save()

    response = api.post("/auth/refresh", {"refresh": login.json()["data"]["refresh"]}, format="json")

    assert_error(response, 401, Messages.UNAUTHORIZED)


@pytest.mark.parametrize("body", [{}, {"refresh": 5}, {"refresh": None}, {"refresh": ""}], ids=repr)
def test_refresh_invalid_body_is_400(api, body):
    assert_error(api.post("/auth/refresh", body, format="json"), 400, Messages.INVALID_SCHEMA)


# --- me -------------------------------------------------------------------------------


@pytest.mark.parametrize("bearer", [False, True], ids=["raw", "bearer"])
def test_me_returns_the_signed_in_user(auth, student, bearer):
    response = auth(student, bearer=bearer).get("/auth/me")

    assert response.status_code == 200
    assert response.json() == {
        "success": True,
        "data": {"_id": str(student.pk), "name": student.name, "email": student.email, "role": "student"},
    }


def test_me_without_token_is_401(api):
    assert_error(api.get("/auth/me"), 401, Messages.UNAUTHORIZED)


def test_me_never_returns_the_password_hash(auth, teacher):
    response = auth(teacher).get("/auth/me")

    assert "password" not in response.json()["data"]
    assert teacher.password not in response.content.decode()
