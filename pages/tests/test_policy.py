"""The class policy on the pages: the teacher's settings and at-risk flags, the student's budget."""

import re

import pytest

from attendance.models import ClassPolicy
from attendance.policy import policy_update
from tests.factories import finished_session, make_class, make_student, make_teacher, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    teacher = make_teacher(name="Ms Owner")
    ann, ben, cid = (make_student(name=name) for name in ("Ann Archer", "Ben Baker", "Cid Clay"))
    klass = make_class(teacher=teacher, students=[ann, ben, cid], name="Chemistry")
    for days_ago, marks in enumerate(
        [
            {ann: "present", ben: "present", cid: "absent"},
            {ann: "present", ben: "absent", cid: "absent"},
            {ann: "present", ben: "present", cid: "present"},
            {ann: "present", ben: "present", cid: "present"},
        ],
        start=1,
    ):
        finished_session(klass, marks, days_ago=days_ago)
    return {"teacher": teacher, "ann": ann, "ben": ben, "cid": cid, "klass": klass}


def settings_form(**changes) -> dict:
    return {"time_zone": "UTC", "required_rate": "", "late_credit": "100", **changes}


def test_the_teacher_saves_the_policy_from_the_class_page(world):
    klass, client = world["klass"], signed_in(world["teacher"])
    form = settings_form(required_rate="75", late_credit="50", excused_left_out="on", time_zone="Europe/Madrid")

    response = client.post(f"/app/classes/{klass.pk}/settings/", form)

    assert response.status_code == 302 and response["Location"].endswith("#class-settings")
    policy = ClassPolicy.objects.get(klass=klass)
    assert (policy.required_rate, policy.late_credit, policy.excused_left_out) == (75, 50, True)
    klass.refresh_from_db()
    assert klass.time_zone == "Europe/Madrid"
    html = client.get(f"/app/classes/{klass.pk}/").content.decode()
    assert 'name="required_rate" value="75"' in html and 'name="late_credit" value="50"' in html


def test_bad_settings_change_nothing(world):
    klass, client = world["klass"], signed_in(world["teacher"])
    for bad in (settings_form(required_rate="0"), settings_form(late_credit="150"), settings_form(late_credit="")):
        response = client.post(f"/app/classes/{klass.pk}/settings/", bad)
        assert response.status_code == 400
    assert not ClassPolicy.objects.exists()
    assert signed_in(world["ann"]).post(f"/app/classes/{klass.pk}/settings/", settings_form()).status_code == 403
    assert signed_in(make_teacher()).post(f"/app/classes/{klass.pk}/settings/", settings_form()).status_code == 404


def test_the_roster_lists_students_below_and_at_risk_first_with_flags(world):
    klass = world["klass"]
    client = signed_in(world["teacher"])
    plain = client.get(f"/app/classes/{klass.pk}/").content.decode()
    assert "data-flag" not in plain and "data-risk-summary" not in plain
    assert re.findall(r'class="roster__name">([^<]+)<', plain) == ["Ann Archer", "Ben Baker", "Cid Clay"]

    policy_update(klass=klass, required_rate=75)
    html = client.get(f"/app/classes/{klass.pk}/").content.decode()

    # Cid 2 of 4 (50%): below, needs 4 in a row. Ben 3 of 4 (75%): at the line. Ann 4 of 4: can miss 1.
    assert re.findall(r'class="roster__name">([^<]+)<', html) == ["Cid Clay", "Ben Baker", "Ann Archer"]
    assert "Below 75%: needs 4 in a row" in html
    assert "At risk: can miss 0 more" in html and "At risk: can miss 1 more" in html
    assert "<strong>1 below</strong>, <strong>2 at risk</strong>" in html


def test_the_student_sees_how_many_more_sessions_they_can_miss(world):
    klass, ben = world["klass"], world["ben"]
    page = signed_in(ben).get("/app/live/").content.decode()
    assert "data-budget" not in page  # no requirement, no budget

    policy_update(klass=klass, required_rate=60)
    page = signed_in(ben).get("/app/live/").content.decode()

    # 3 of 4: 3/5 = 60% still meets it, 3/6 does not.
    assert re.search(r"You can miss <strong data-can-miss>1</strong> more session\b", page)
    assert "and stay at or above the 60% required." in page
    assert "3 of 4, 75.0%" in page and "A late counts as attended." in page


def test_a_student_below_sees_what_it_takes_to_get_back(world):
    klass, cid = world["klass"], world["cid"]
    policy_update(klass=klass, required_rate=75, excused_left_out=True, late_credit=50)

    page = signed_in(cid).get("/app/history/").content.decode()

    assert 'data-level="below"' in page
    assert "Below the 75% required" in page
    assert "Attend the next <strong data-to-recover>4</strong> sessions in a row to get back to 75%." in page
    assert "A late counts as 50% of a session." in page and "Excused sessions are left out." in page


def test_at_100_percent_a_missed_session_cannot_be_made_up(world):
    policy_update(klass=world["klass"], required_rate=100)
    page = signed_in(world["ben"]).get("/app/live/").content.decode()
    assert "At 100% a missed session cannot be made up." in page
