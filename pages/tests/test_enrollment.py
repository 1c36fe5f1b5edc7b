"""The pages that fill a roster: join code on the class page, roster import, joining by code or link."""

import csv
import io
from datetime import UTC, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from attendance.models import AttendanceSession
from classes import services
from classes.models import Class, Enrollment, JoinCode
from tests.factories import finished_session, make_class, make_student, make_teacher, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    teacher = make_teacher(name="Ms Owner")
    ann = make_student(name="Ann Archer", email="ann@school.test")
    klass = make_class(teacher=teacher, students=[ann], name="Chemistry")
    return {"teacher": teacher, "ann": ann, "klass": klass}


def page(client, klass) -> str:
    return client.get(f"/app/classes/{klass.pk}/").content.decode()


# Join code on the class page -------------------------------------------------------------


def test_the_teacher_shows_replaces_and_turns_off_the_join_code(world):
    client, klass = signed_in(world["teacher"]), world["klass"]
    assert "Joining by code is off" in page(client, klass)

    response = client.post(f"/app/classes/{klass.pk}/join-code/", {"action": "new"})
    assert response.status_code == 302 and response["Location"].endswith("#join-code")
    first = JoinCode.objects.get(klass=klass).code
    html = page(client, klass)
    assert first in html and f"http://testserver/join/{first}" in html

    client.post(f"/app/classes/{klass.pk}/join-code/", {"action": "new"})
    second = JoinCode.objects.get(klass=klass).code
    assert second != first
    assert first not in page(client, klass)

    client.post(f"/app/classes/{klass.pk}/join-code/", {"action": "off"})
    assert not JoinCode.objects.filter(klass=klass).exists()
    assert "Joining by code is off" in page(client, klass)


def test_another_teacher_cannot_touch_the_join_code(world):
    stranger = signed_in(make_teacher())
    klass = world["klass"]
    assert stranger.post(f"/app/classes/{klass.pk}/join-code/", {"action": "new"}).status_code == 404
    assert signed_in(world["ann"]).post(f"/app/classes/{klass.pk}/join-code/", {"action": "new"}).status_code == 403
    assert not JoinCode.objects.exists()


# Joining by link and by typed code -------------------------------------------------------


def test_the_link_sends_a_signed_out_student_to_sign_in_and_back(world):
    code = services.join_code_set(klass=world["klass"]).code
    response = Client().get(f"/join/{code}")
    assert response.status_code == 302
    assert response["Location"] == f"/?next=/join/{code}"

    login_page = Client().get(f"/?next=/join/{code}").content.decode()
    assert f"role=student&amp;next=/join/{code}" in login_page


def test_a_new_student_signs_up_from_the_link_and_comes_back_to_join(world):
    code = services.join_code_set(klass=world["klass"]).code
    client = Client()
    response = client.post(
        "/app/signup/",
        {
            "name": "Newt Kid",
            "email": "newt@school.test",
            "password": "a-long-pass-phrase",
            "role": "student",
            "next": f"/join/{code}",
        },
    )
    assert response.status_code == 302 and response["Location"] == f"/join/{code}"
    assert "Join <strong data-join-class>Chemistry</strong>" in client.get(f"/join/{code}").content.decode()


def test_a_signed_in_student_confirms_and_joins(world):
    klass = world["klass"]
    code = services.join_code_set(klass=klass).code
    ben = make_student(name="Ben Baker")
    client = signed_in(ben)

    html = client.get(f"/join/{code.lower()}").content.decode()
    assert "Chemistry" in html and "Ms Owner" in html
    assert not Enrollment.objects.filter(klass=klass, student=ben).exists()  # a GET changes nothing

    response = client.post(f"/join/{code}")
    assert response.status_code == 302 and response["Location"] == "/app/live/"
    assert Enrollment.objects.filter(klass=klass, student=ben).exists()
    assert "You joined Chemistry." in client.get("/app/live/").content.decode()
    assert "You are already in <strong>Chemistry</strong>" in client.get(f"/join/{code}").content.decode()


def test_a_wrong_or_replaced_code_says_so_and_offers_to_type_another(world):
    klass = world["klass"]
    old = services.join_code_set(klass=klass).code
    services.join_code_set(klass=klass)
    client = signed_in(make_student())

    response = client.get(f"/join/{old}")
    assert response.status_code == 404
    html = response.content.decode()
    assert "This join code does not work" in html and 'name="code"' in html
    assert client.post(f"/join/{old}").status_code == 404
    assert Enrollment.objects.filter(klass=klass).count() == 1


def test_a_teacher_opening_the_link_is_told_it_is_for_students(world):
    code = services.join_code_set(klass=world["klass"]).code
    response = signed_in(make_teacher()).get(f"/join/{code}")
    assert response.status_code == 403
    assert "This link is for students" in response.content.decode()


def test_the_student_page_has_a_join_form_that_joins(world):
    klass = world["klass"]
    code = services.join_code_set(klass=klass).code
    ben = make_student()
    client = signed_in(ben)
    assert 'action="/app/join/"' in client.get("/app/live/").content.decode()

    response = client.post("/app/join/", {"code": f" {code[:4]} {code[4:]} "})

    assert response.status_code == 302 and response["Location"] == "/app/live/"
    assert Enrollment.objects.filter(klass=klass, student=ben).exists()
    assert client.post("/app/join/", {"code": "NOPE"}).status_code == 404


@override_settings(JOIN_FAILURE_LIMIT=2)
def test_guessing_on_the_pages_is_rate_limited_too(world):
    code = services.join_code_set(klass=world["klass"]).code
    client = signed_in(make_student())
    client.post("/app/join/", {"code": "AAAAAAAA"})
    client.get("/join/BBBBBBBB")

    response = client.get(f"/join/{code}")

    assert response.status_code == 429
    assert "Too many join attempts, try again later" in response.content.decode()


# Roster import ---------------------------------------------------------------------------


def test_pasting_emails_enrolls_known_students_and_lists_the_rest_with_the_link(world):
    klass = world["klass"]
    code = services.join_code_set(klass=klass).code
    make_student(name="Ben Baker", email="ben@school.test")
    client = signed_in(world["teacher"])

    response = client.post(
        f"/app/classes/{klass.pk}/roster-import/",
        {"text": "ben@school.test\nann@school.test\nNew Kid <new@school.test>\n"},
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "1 student added." in html
    assert 'data-import-result="added"' in html and "Already in the class" in html and "No account yet" in html
    assert f"http://testserver/join/{code}" in html
    assert set(Enrollment.objects.filter(klass=klass).values_list("student__email", flat=True)) == {
        "ann@school.test",
        "ben@school.test",
    }


def test_uploading_a_csv_file(world):
    klass = world["klass"]
    make_student(email="ben@school.test")
    upload = SimpleUploadedFile("roster.csv", b"\xef\xbb\xbfName;Email\nBaker, Ben;ben@school.test\n", "text/csv")

    response = signed_in(world["teacher"]).post(f"/app/classes/{klass.pk}/roster-import/", {"file": upload})

    assert response.status_code == 200
    assert "1 student added." in response.content.decode()
    assert Enrollment.objects.filter(klass=klass, student__email="ben@school.test").exists()


def test_a_bad_roster_on_the_page_enrolls_nobody_and_says_which_line(world):
    klass = world["klass"]
    make_student(email="ben@school.test")
    client = signed_in(world["teacher"])

    response = client.post(f"/app/classes/{klass.pk}/roster-import/", {"text": "ben@school.test\nBen Baker\n"})
    assert response.status_code == 400
    assert "Roster line 2: no email address" in response.content.decode()

    binary = SimpleUploadedFile("roster.xlsx", b"PK\x03\x04\xff\xfe\x00", "application/octet-stream")
    response = client.post(f"/app/classes/{klass.pk}/roster-import/", {"file": binary})
    assert response.status_code == 400
    assert "Roster must be UTF-8 text" in response.content.decode()
    assert Enrollment.objects.filter(klass=klass).count() == 1


# Time zones ------------------------------------------------------------------------------


def test_a_new_class_takes_the_default_zone(settings):
    settings.DEFAULT_CLASS_TIMEZONE = "Europe/Lisbon"
    assert Class.objects.create(teacher=make_teacher(), class_name="Art").time_zone == "Europe/Lisbon"


def test_history_csv_and_chart_show_the_class_zone(world):
    klass, ann, client = world["klass"], world["ann"], signed_in(world["teacher"])
    session = finished_session(klass, {ann: "present"})
    late_evening = datetime(2025, 3, 11, 23, 30, tzinfo=UTC)  # already 12 March in Tokyo
    AttendanceSession.objects.filter(pk=session.pk).update(started_at=late_evening, ended_at=late_evening)

    response = client.post(f"/app/classes/{klass.pk}/settings/", {"time_zone": "Asia/Tokyo", "late_credit": "100"})
    assert response.status_code == 302
    klass.refresh_from_db()
    assert klass.time_zone == "Asia/Tokyo"

    html = page(client, klass)
    assert "Times in Asia/Tokyo" in html
    assert "12 Mar 2025, 08:30" in html  # the history table
    assert "12 Mar 2025 08:30 Asia/Tokyo" in html  # the chart's bar title
    student_html = signed_in(ann).get("/app/history/").content.decode()
    assert "12 Mar 2025, 08:30" in student_html and "Times in Asia/Tokyo" in student_html

    rows = list(csv.reader(io.StringIO(client.get(f"/app/classes/{klass.pk}/export.csv").content.decode())))
    header, row = rows[0], rows[1]
    assert row[header.index("session_started_at")] == "2025-03-11T23:30:00.000Z"  # UTC, as before
    assert row[header.index("time_zone")] == "Asia/Tokyo"
    assert row[header.index("session_started_local")] == "2025-03-12T08:30:00+09:00"


def test_an_unknown_zone_is_refused_and_changes_nothing(world):
    klass = world["klass"]
    before = klass.time_zone
    response = signed_in(world["teacher"]).post(
        f"/app/classes/{klass.pk}/settings/", {"time_zone": "Mars/Olympus", "late_credit": "100"}
    )
    assert response.status_code == 400
    klass.refresh_from_db()
    assert klass.time_zone == before
