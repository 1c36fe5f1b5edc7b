"""The class policy route: read by the class's people, changed by its teacher, bad input refused whole."""

import pytest

from attendance.models import ClassPolicy
from core.errors import Messages
from tests import factories

pytestmark = pytest.mark.django_db


def ok_data(response):
    assert response.status_code == 200, response.content
    return response.json()["data"]


def assert_error(response, status: int, message: str) -> None:
    assert response.status_code == status, response.content
    assert response.json() == {"success": False, "error": message}


@pytest.fixture
def klass(teacher, student):
    return factories.make_class(teacher=teacher, students=[student])


def test_a_class_starts_with_no_requirement_late_as_present_and_excused_counted(auth, teacher, student, klass):
    expected = {
        "classId": str(klass.pk),
        "requiredRate": None,
        "lateCountsAs": 1.0,
        "excusedLeftOut": False,
        "timeZone": "UTC",
    }
    assert ok_data(auth(teacher).get(f"/class/{klass.pk}/policy")) == expected
    assert ok_data(auth(student).get(f"/class/{klass.pk}/policy")) == expected
    assert not ClassPolicy.objects.exists()  # reading writes nothing


def test_the_teacher_changes_some_fields_and_keeps_the_rest(auth, teacher, klass):
    url = f"/class/{klass.pk}/policy"
    data = ok_data(auth(teacher).patch(url, {"requiredRate": 80, "lateCountsAs": 0.5}, format="json"))
    assert (data["requiredRate"], data["lateCountsAs"], data["excusedLeftOut"]) == (80, 0.5, False)

    data = ok_data(auth(teacher).patch(url, {"excusedLeftOut": True, "timeZone": "Europe/Paris"}, format="json"))
    assert data == {
        "classId": str(klass.pk),
        "requiredRate": 80,
        "lateCountsAs": 0.5,
        "excusedLeftOut": True,
        "timeZone": "Europe/Paris",
    }
    klass.refresh_from_db()
    assert klass.time_zone == "Europe/Paris"

    assert ok_data(auth(teacher).patch(url, {"requiredRate": None}, format="json"))["requiredRate"] is None
    assert ClassPolicy.objects.get(klass=klass).late_credit == 50


@pytest.mark.parametrize(
    "body",
    [
        {"requiredRate": 0},
        {"requiredRate": 101},
        {"requiredRate": 79.5},
        {"requiredRate": "80"},
        {"requiredRate": True},
        {"lateCountsAs": 1.5},
        {"lateCountsAs": -0.1},
        {"lateCountsAs": "half"},
        {"lateCountsAs": None},
        {"excusedLeftOut": "yes"},
        {"excusedLeftOut": 1},
        {"timeZone": 5},
        {"requiredRate": 80, "lateCountsAs": 2},
    ],
)
def test_bad_values_are_400_and_change_nothing(auth, teacher, klass, body):
    response = auth(teacher).patch(f"/class/{klass.pk}/policy", body, format="json")

    assert_error(response, 400, Messages.INVALID_SCHEMA)
    assert not ClassPolicy.objects.exists()


def test_an_unknown_time_zone_is_refused_and_nothing_else_is_saved(auth, teacher, klass):
    response = auth(teacher).patch(
        f"/class/{klass.pk}/policy", {"requiredRate": 90, "timeZone": "Mars/Olympus"}, format="json"
    )

    assert_error(response, 400, Messages.INVALID_TIME_ZONE)
    assert not ClassPolicy.objects.exists()
    klass.refresh_from_db()
    assert klass.time_zone == "UTC"


def test_who_may_read_and_change(auth, api, teacher, student, klass):
    url = f"/class/{klass.pk}/policy"
    outsider, stranger = factories.make_student(), factories.make_teacher()
    assert_error(api.get(url), 401, Messages.UNAUTHORIZED)
    assert_error(auth(outsider).get(url), 403, Messages.NOT_CLASS_TEACHER)
    assert_error(auth(stranger).get(url), 403, Messages.NOT_CLASS_TEACHER)
    assert_error(auth(student).patch(url, {"requiredRate": 50}, format="json"), 403, Messages.TEACHER_REQUIRED)
    assert_error(auth(stranger).patch(url, {"requiredRate": 50}, format="json"), 403, Messages.NOT_CLASS_TEACHER)
    assert_error(auth(teacher).get("/class/someid/policy"), 404, Messages.CLASS_NOT_FOUND)
    assert_error(
        auth(teacher).patch("/class/someid/policy", {"requiredRate": 50}, format="json"), 404, Messages.CLASS_NOT_FOUND
    )
    # The body is checked before the class (the contract's order).
    assert_error(
        auth(teacher).patch("/class/someid/policy", {"requiredRate": 0}, format="json"), 400, Messages.INVALID_SCHEMA
    )
    assert_error(auth(teacher).patch(url, ["requiredRate"], format="json"), 400, Messages.INVALID_SCHEMA)
    assert not ClassPolicy.objects.exists()
