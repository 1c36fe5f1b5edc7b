"""Id strings from the outside world: a row, or 'not found', never a crash."""

import pytest

from accounts.models import User
from core.errors import ApplicationError
from core.ids import get_by_id, parse_id
from tests import factories


@pytest.mark.parametrize(
    "raw",
    [
        "someid",
        "507f1f77bcf86cd799439011",
        "99999999999999999999999",
        99999999999999999999999,
        "1.5",
        1.5,
        "",
        "   ",
        None,
        True,
        False,
        {"$ne": None},
        ["1"],
        "../x",
        "0",
        0,
        "-1",
        -1,
        2**63,
        "x" * 65,
        "1" * 65,
    ],
    ids=repr,
)
def test_parse_id_refuses_what_cannot_name_a_row(raw):
    assert parse_id(User, raw) is None


@pytest.mark.parametrize(("raw", "key"), [("12", 12), (12, 12), (" 7 ", 7), ("1", 1), (2**63 - 1, 2**63 - 1)])
def test_parse_id_reads_integers_on_sql(raw, key):
    assert parse_id(User, raw) == key


@pytest.mark.django_db
@pytest.mark.parametrize(
    "raw", ["someid", "0", "-1", "99999999999999999999999", 2**63, -(2**63) - 1, "9" * 64, "987654321", 987654321]
)
def test_get_by_id_is_404_for_ids_naming_nothing(raw):
    factories.make_student()

    with pytest.raises(ApplicationError) as raised:
        get_by_id(User.objects.all(), raw, "User not found")

    assert (raised.value.status, raised.value.message) == (404, "User not found")


@pytest.mark.django_db
def test_get_by_id_finds_by_string_and_int():
    user = factories.make_student()

    assert get_by_id(User.objects.all(), str(user.pk), "x") == user
    assert get_by_id(User.objects.all(), user.pk, "x") == user


@pytest.mark.django_db
def test_get_by_id_respects_the_queryset_filter():
    teacher = factories.make_teacher()

    with pytest.raises(ApplicationError):
        get_by_id(User.objects.filter(role="student"), str(teacher.pk), "Student not found")
