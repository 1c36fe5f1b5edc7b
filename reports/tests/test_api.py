"""The standing routes: a student's own budget, and the teacher's list with those at risk first."""

import pytest

from attendance.policy import policy_update
from core.errors import Messages
from tests import factories
from tests.factories import finished_session

pytestmark = pytest.mark.django_db


def ok_data(response):
    assert response.status_code == 200, response.content
    return response.json()["data"]


def assert_error(response, status: int, message: str) -> None:
    assert response.status_code == status, response.content
    assert response.json() == {"success": False, "error": message}


@pytest.fixture
def world(teacher):
    ann, ben, cid = (factories.make_student(name=name) for name in ("Ann", "Ben", "Cid"))
    klass = factories.make_class(teacher=teacher, students=[ann, ben, cid])
    # Ann: all 5. Ben: 4 of 5 (one late). Cid: 3 of 5.
    marks = [
        {ann: "present", ben: "present", cid: "present"},
        {ann: "present", ben: "present", cid: "present"},
        {ann: "present", ben: "late", cid: "present"},
        {ann: "present", ben: "present", cid: "absent"},
        {ann: "present", ben: "absent", cid: "excused"},
    ]
    for days_ago, session in zip(range(5, 0, -1), marks, strict=True):
        finished_session(klass, session, days_ago=days_ago)
    return {"klass": klass, "ann": ann, "ben": ben, "cid": cid}


def test_a_student_reads_their_rate_and_budget(auth, world):
    klass, ben = world["klass"], world["ben"]
    policy_update(klass=klass, required_rate=70)

    data = ok_data(auth(ben).get(f"/class/{klass.pk}/my-standing"))

    assert data == {
        "classId": str(klass.pk),
        "requiredRate": 70,
        "rate": 80.0,
        "attended": 4,
        "counted": 5,
        "present": 3,
        "late": 1,
        "excused": 0,
        "absent": 1,
        "canMiss": 0,  # 4/6 = 66.7% < 70%
        "toRecover": 0,
        "level": "at_risk",
    }


def test_the_budget_follows_the_policy(auth, world):
    klass, cid = world["klass"], world["cid"]
    url = f"/class/{klass.pk}/my-standing"
    policy_update(klass=klass, required_rate=75)
    below = ok_data(auth(cid).get(url))
    assert (below["rate"], below["level"], below["canMiss"], below["toRecover"]) == (60.0, "below", 0, 3)

    policy_update(klass=klass, excused_left_out=True)  # 3 of 4 = 75%
    at_line = ok_data(auth(cid).get(url))
    assert (at_line["rate"], at_line["counted"], at_line["level"], at_line["canMiss"]) == (75.0, 4, "at_risk", 0)

    policy_update(klass=klass, required_rate=None)
    assert ok_data(auth(cid).get(url))["level"] == "off"
    assert ok_data(auth(cid).get(url))["canMiss"] is None


def test_the_teacher_sees_everyone_below_first_then_at_risk(auth, teacher, world):
    klass = world["klass"]
    policy_update(klass=klass, required_rate=75, late_credit=50)

    data = ok_data(auth(teacher).get(f"/class/{klass.pk}/standing"))

    assert data["classId"] == str(klass.pk) and data["requiredRate"] == 75
    rows = [
        (row["name"], row["level"], row["rate"], row["attended"], row["canMiss"], row["toRecover"])
        for row in data["students"]
    ]
    assert rows == [
        ("Cid", "below", 60.0, 3, 0, 3),  # 3 of 5, the excused session counted as missed
        ("Ben", "below", 70.0, 3.5, 0, 1),  # the late counts half
        ("Ann", "at_risk", 100.0, 5, 1, 0),  # 5/6 = 83%, 5/7 = 71%
    ]
    assert data["students"][0]["studentId"] == str(world["cid"].pk)


def test_standing_refusals(auth, api, teacher, world):
    klass, ann = world["klass"], world["ann"]
    outsider = factories.make_student()
    assert_error(api.get(f"/class/{klass.pk}/my-standing"), 401, Messages.UNAUTHORIZED)
    assert_error(auth(teacher).get(f"/class/{klass.pk}/my-standing"), 403, Messages.STUDENT_REQUIRED)
    assert_error(auth(outsider).get(f"/class/{klass.pk}/my-standing"), 403, Messages.NOT_ENROLLED)
    assert_error(auth(ann).get("/class/someid/my-standing"), 404, Messages.CLASS_NOT_FOUND)
    assert_error(auth(ann).get(f"/class/{klass.pk}/standing"), 403, Messages.TEACHER_REQUIRED)
    assert_error(auth(factories.make_teacher()).get(f"/class/{klass.pk}/standing"), 403, Messages.NOT_CLASS_TEACHER)
    assert_error(auth(teacher).get("/class/someid/standing"), 404, Messages.CLASS_NOT_FOUND)


def test_a_class_without_sessions_has_an_empty_standing(auth, teacher, student):
    klass = factories.make_class(teacher=teacher, students=[student])
    policy_update(klass=klass, required_rate=80)

    mine = ok_data(auth(student).get(f"/class/{klass.pk}/my-standing"))

    assert (mine["rate"], mine["counted"], mine["canMiss"], mine["level"]) == (None, 0, 0, "ok")
