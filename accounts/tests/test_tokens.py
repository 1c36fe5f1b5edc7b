"""Which Authorization headers and tokens the API accepts: the contract's raw or Bearer JWT only."""

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from django.conf import settings
from rest_framework.test import APIClient

from accounts.tokens import access_claims, active_users, current_user, issue_tokens, rotate_refresh, user_from_token
from core.errors import Messages
from tests import factories

pytestmark = pytest.mark.django_db

KEY = settings.SIMPLE_JWT["SIGNING_KEY"]


def claims(user, **overrides) -> dict:
    """Claims shaped like the ones the server issues."""
    now = datetime.now(UTC)
    payload = {
        "token_type": "access",
        "exp": int((now + timedelta(hours=1)).timestamp()),
        "iat": int(now.timestamp()),
        "jti": "0123456789abcdef",
        "userId": str(user.pk),
        "role": user.role,
    }
    payload.update(overrides)
    return payload


def craft(payload: dict, key: str = KEY, algorithm: str = "HS256") -> str:
    return jwt.encode(payload, key, algorithm=algorithm)


def b64(part: dict) -> str:
    raw = json.dumps(part, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def me_with(header: str | None):
    client = APIClient()
    if header is not None:
        client.credentials(HTTP_AUTHORIZATION=header)
    return client.get("/auth/me")


def assert_unauthorized(response) -> None:
    assert response.status_code == 401, response.content
    assert response.json() == {"success": False, "error": Messages.UNAUTHORIZED}


def test_a_crafted_token_with_the_right_key_is_accepted(student):
    # Proves the crafting below is faithful, so the rejections are about the one change each makes.
    response = me_with(craft(claims(student)))

    assert response.status_code == 200
    assert response.json()["data"]["_id"] == str(student.pk)


@pytest.mark.parametrize("scheme", ["", "Bearer ", "bearer ", "BEARER "])
def test_raw_and_bearer_headers_both_work(student, scheme):
    response = me_with(scheme + factories.token_for(student))

    assert response.status_code == 200
    assert response.json()["data"]["email"] == student.email


def test_token_carries_userid_string_and_role(teacher):
    token = factories.token_for(teacher)

    payload = jwt.decode(token, KEY, algorithms=["HS256"])

    assert payload["userId"] == str(teacher.pk)
    assert isinstance(payload["userId"], str)
    assert payload["role"] == "teacher"


@pytest.mark.parametrize(
    "header",
    [
        "",
        "   ",
        "Bearer",
        "Bearer ",
        "Basic xyz",
        "Basic dXNlcjpwYXNz",
        "garbage",
        "a.b.c",
        "Bearer a.b.c",
        "Token abc",
        "Bearer two tokens",
        "null",
        "undefined",
    ],
    ids=repr,
)
def test_malformed_headers_are_401(student, header):
    assert_unauthorized(me_with(header))


def test_missing_header_is_401():
    assert_unauthorized(me_with(None))


def test_bearer_with_another_scheme_in_front_is_401(student):
    assert_unauthorized(me_with("Basic " + factories.token_for(student)))


def test_alg_none_token_is_401(student):
    header = b64({"alg": "none", "typ": "JWT"})
    token = f"{header}.{b64(claims(student))}."

    assert_unauthorized(me_with(token))
    assert_unauthorized(me_with(f"Bearer {token}"))


def test_token_signed_with_another_key_is_401(student):
    assert_unauthorized(me_with(craft(claims(student), key="another-secret-key-of-decent-length")))


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_token_signed_with_another_hmac_algorithm_is_401(student):
    assert_unauthorized(me_with(craft(claims(student), algorithm="HS512")))


def test_tampered_payload_with_role_changed_is_401(student):
    header, _, signature = factories.token_for(student).split(".")
    payload = jwt.decode(factories.token_for(student), KEY, algorithms=["HS256"])
    payload["role"] = "teacher"
    tampered = f"{header}.{b64(payload)}.{signature}"

    assert_unauthorized(me_with(tampered))


def test_tampered_payload_cannot_reach_a_teacher_route(student):
    header, _, signature = factories.token_for(student).split(".")
    payload = jwt.decode(factories.token_for(student), KEY, algorithms=["HS256"])
    payload["role"] = "teacher"
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{header}.{b64(payload)}.{signature}")

    assert_unauthorized(client.post("/class", {"className": "Hack"}, format="json"))


def test_role_comes_from_the_user_not_the_token(student):
    # A validly signed token claiming teacher for a student account still acts as the student.
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=craft(claims(student, role="teacher")))

    response = client.post("/class", {"className": "Hack"}, format="json")

    assert response.status_code == 403
    assert response.json() == {"success": False, "error": Messages.TEACHER_REQUIRED}


def test_expired_token_is_401(student):
    past = datetime.now(UTC) - timedelta(hours=2)
    payload = claims(student, exp=int(past.timestamp()), iat=int((past - timedelta(hours=3)).timestamp()))

    assert_unauthorized(me_with(craft(payload)))


def test_token_without_expiry_is_401(student):
    payload = claims(student)
    del payload["exp"]

    assert_unauthorized(me_with(craft(payload)))


def test_refresh_type_token_is_not_an_access_token(student):
    assert_unauthorized(me_with(craft(claims(student, token_type="refresh"))))


@pytest.mark.parametrize(
    "user_id",
    ["someid", "507f1f77bcf86cd799439011", "-1", "0", "99999999999999999999999", "", "../x", None, 1.5],
    ids=repr,
)
def test_token_whose_userid_names_nobody_is_401(student, user_id):
    assert_unauthorized(me_with(craft(claims(student, userId=user_id))))


@pytest.mark.parametrize("user_id", [{"$ne": None}, ["1"], True], ids=repr)
def test_token_whose_userid_is_not_a_string_is_401(student, user_id):
    assert_unauthorized(me_with(craft(claims(student, userId=user_id))))


def test_token_without_userid_is_401(student):
    payload = claims(student)
    del payload["userId"]

    assert_unauthorized(me_with(craft(payload)))


def test_token_of_a_deleted_user_is_401(student):
    token = factories.token_for(student)
    student.delete()

    assert_unauthorized(me_with(token))


def test_token_of_a_deactivated_user_is_401(student):
    token = factories.token_for(student)
    student.is_active = False
    student.save()

    assert_unauthorized(me_with(token))
    assert_unauthorized(me_with(f"Bearer {token}"))


def test_overlong_token_is_401(student):
    assert_unauthorized(me_with(factories.token_for(student) + "A" * 5000))


def test_non_ascii_header_is_401(student):
    assert_unauthorized(me_with("Bearer tökén"))


def test_user_from_token_reads_only_good_access_tokens(student):
    tokens = issue_tokens(student)

    assert user_from_token(tokens["token"]) == student
    assert user_from_token(tokens["token"].encode()) == student
    assert user_from_token(tokens["refresh"]) is None
    assert user_from_token(None) is None
    assert user_from_token(b"\xff\xfe") is None
    assert user_from_token("") is None


def test_rotate_refresh_issues_tokens_for_the_same_user_once(teacher):
    refresh = issue_tokens(teacher)["refresh"]
    tokens = rotate_refresh(refresh)

    assert user_from_token(tokens["token"]) == teacher
    assert rotate_refresh(tokens["refresh"]) is not None
    assert rotate_refresh(refresh) is None  # spent
    assert rotate_refresh(issue_tokens(teacher)["token"]) is None
    assert rotate_refresh("garbage") is None


def test_a_token_names_its_own_user_among_many(teacher, student):
    assert user_from_token(issue_tokens(student)["token"]) == student
    assert user_from_token(issue_tokens(teacher)["token"]) == teacher


def test_a_spent_refresh_token_stays_spent_as_long_as_it_is_valid(teacher, monkeypatch):
    import time

    refresh = issue_tokens(teacher)["refresh"]
    assert rotate_refresh(refresh) is not None
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 6 * 24 * 3600)  # six days on: the token has a seventh

    assert rotate_refresh(refresh) is None


def test_a_refresh_whose_use_cannot_be_recorded_is_refused_and_logged(teacher, monkeypatch, caplog):
    from django.core.cache import cache

    def down(*args, **kwargs):
        raise ConnectionError("cache unreachable")

    monkeypatch.setattr(cache, "add", down)

    assert rotate_refresh(issue_tokens(teacher)["refresh"]) is None
    assert "Refresh token refused, cannot record its use: ConnectionError: cache unreachable" in caplog.messages


# The handshake's split of a token check: claims without the database, users read for many at once.


def test_active_users_reads_several_at_once_and_leaves_out_the_deactivated_and_unknown(student):
    other = factories.make_student()
    gone = factories.make_student(is_active=False)

    found = active_users([student.pk, other.pk, gone.pk, 999_999])

    assert found == {student.pk: student, other.pk: other}
    assert found[student.pk].email == student.email and found[student.pk].role == student.role
    assert active_users([]) == {}


def test_claims_name_the_user_and_version_and_only_a_current_version_counts(student):
    raw = issue_tokens(student)["token"]
    claims = access_claims(raw)
    assert claims.key == student.pk and claims.version == student.token_version
    assert claims.expires_at > datetime.now(UTC).timestamp()
    assert access_claims(raw.encode()) == claims
    assert current_user(claims, student) == student
    assert current_user(claims, None) is None
    student.token_version += 1
    assert current_user(claims, student) is None


@pytest.mark.parametrize("raw", ["", None, "x" * 4097, "not.a.token", "é".encode()])
def test_claims_of_anything_but_a_good_access_token_are_none(raw):
    assert access_claims(raw) is None


def test_a_refresh_token_gives_tokens_of_its_own_user_among_many(teacher, student):
    for user in (teacher, student):
        tokens = rotate_refresh(issue_tokens(user)["refresh"])
        assert user_from_token(tokens["token"]) == user


def test_a_refresh_token_of_an_account_deactivated_without_a_version_change_is_refused(teacher):
    # An account switched off by a bulk update (no save(), so no version bump) must still stop refreshing.
    from accounts.models import User

    refresh = issue_tokens(teacher)["refresh"]
    User.objects.filter(pk=teacher.pk).update(is_active=False)
    assert rotate_refresh(refresh) is None


def test_a_refresh_token_from_before_versions_counts_as_version_zero(student):
    from rest_framework_simplejwt.tokens import RefreshToken

    from accounts.models import User

    def legacy() -> str:
        token = RefreshToken.for_user(student)  # no version claim, as issued before versions existed
        token["userId"] = str(student.pk)
        return str(token)

    assert student.token_version == 0
    assert user_from_token(rotate_refresh(legacy())["token"]) == student
    User.objects.filter(pk=student.pk).update(token_version=1)  # every token issued so far revoked
    assert rotate_refresh(legacy()) is None
