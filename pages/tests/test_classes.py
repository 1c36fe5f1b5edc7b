"""The teacher's pages: dashboard, class page, roster changes, CSV export."""

import csv
import io
import re

import pytest
from django.conf import settings
from django.test import Client

from attendance import services
from attendance.models import AttendanceRecord, AttendanceSession
from attendance.selectors import iso_millis
from classes.models import Class, Enrollment
from tests.factories import finished_session, make_class, make_student, make_teacher, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    teacher = make_teacher(name="Ms Owner")
    ann, ben = make_student(name="Ann Archer"), make_student(name="Ben Baker")
    klass = make_class(teacher=teacher, students=[ann, ben], name="Chemistry")
    other_teacher = make_teacher(name="Mr Other")
    other_class = make_class(teacher=other_teacher, students=[ann], name="Other Class")
    return {
        "teacher": teacher,
        "ann": ann,
        "ben": ben,
        "klass": klass,
        "other_teacher": other_teacher,
        "other_class": other_class,
    }


def teacher_urls(klass) -> list[str]:
    return [f"/app/classes/{klass.pk}/", f"/app/classes/{klass.pk}/export.csv", f"/app/classes/{klass.pk}/live/"]


# Who may see what -----------------------------------------------------------------------


def test_signed_out_visitors_are_sent_to_the_login_page(world):
    for url in ["/app/", *teacher_urls(world["klass"])]:
        response = Client().get(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"/?next={url}", url


def test_students_never_see_teacher_pages(world):
    client = signed_in(world["ann"])

    assert client.get("/app/")["Location"] == "/app/live/"
    for url in teacher_urls(world["klass"]):
        response = client.get(url)
        assert response.status_code == 403, url
        assert b"Ben Baker" not in response.content, url
        assert b"Chemistry" not in response.content, url
    klass = world["klass"]
    assert client.post(f"/app/classes/{klass.pk}/students/add/", {"email": "x@school.test"}).status_code == 403
    assert client.post(f"/app/classes/{klass.pk}/start/").status_code == 403
    assert client.post("/app/", {"class_name": "Mine now"}).status_code == 403
    assert not AttendanceSession.objects.exists()
    assert not Class.objects.filter(class_name="Mine now").exists()


def test_a_teacher_never_sees_another_teachers_class(world):
    client = signed_in(world["other_teacher"])
    klass = world["klass"]

    for url in teacher_urls(klass):
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"Ben Baker" not in response.content, url
    ben = world["ben"]
    assert client.post(f"/app/classes/{klass.pk}/students/{world['ann'].pk}/remove/").status_code == 404
    assert client.post(f"/app/classes/{klass.pk}/students/add/", {"student_id": str(ben.pk)}).status_code == 404
    assert client.post(f"/app/classes/{klass.pk}/start/").status_code == 404
    assert Enrollment.objects.filter(klass=klass).count() == 2
    assert not AttendanceSession.objects.exists()


@pytest.mark.parametrize("class_id", ["999999", "someid", "507f1f77bcf86cd799439011"])
def test_unknown_or_malformed_class_ids_are_404_pages(world, class_id):
    response = signed_in(world["teacher"]).get(f"/app/classes/{class_id}/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


# Dashboard --------------------------------------------------------------------------------


def test_dashboard_lists_own_classes_with_roster_size_and_live_badge(world):
    make_class(teacher=world["teacher"], name="Biology")
    services.session_start(teacher=world["teacher"], klass=world["klass"])

    response = signed_in(world["teacher"]).get("/app/")

    assert response.status_code == 200
    cards = {
        re.search(r'class-card__name"><a [^>]*>([^<]+)</a>', card).group(1): card
        for card in response.content.decode().split('<li class="card class-card')[1:]
    }
    assert set(cards) == {"Biology", "Chemistry"}  # not the other teacher's class
    assert "2 students" in cards["Chemistry"] and "0 students" in cards["Biology"]
    assert "Session running" in cards["Chemistry"] and "Session running" not in cards["Biology"]
    assert f'href="/app/classes/{world["klass"].pk}/live/"' in cards["Chemistry"]


def test_create_class_form_makes_a_class_and_opens_it(world):
    client = signed_in(world["teacher"])

    response = client.post("/app/", {"class_name": "  Physics 9C  "})

    klass = Class.objects.get(class_name="Physics 9C")
    assert klass.teacher == world["teacher"]
    assert response.status_code == 302
    assert response["Location"] == f"/app/classes/{klass.pk}/"
    assert "Created Physics 9C" in client.get(response["Location"]).content.decode()


def test_create_class_refuses_an_empty_name(world):
    response = signed_in(world["teacher"]).post("/app/", {"class_name": "   "})

    assert response.status_code == 400
    assert b'aria-invalid="true"' in response.content
    assert Class.objects.filter(teacher=world["teacher"]).count() == 1


# Class page -------------------------------------------------------------------------------


def test_class_page_shows_the_roster_and_students_to_pick(world):
    outsider = make_student(name="Cleo Candidate")
    make_teacher(name="Teacher Not Student")

    html = signed_in(world["teacher"]).get(f"/app/classes/{world['klass'].pk}/").content.decode()

    roster = html[html.index('id="roster-title"') : html.index('id="add-title"')]
    picks = html[html.index('id="add-title"') : html.index('id="history-title"')]
    assert "Ann Archer" in roster and "Ben Baker" in roster
    assert "Cleo Candidate" in picks
    assert f'name="student_id" value="{outsider.pk}"' in picks
    assert "Ann Archer" not in picks  # already enrolled
    assert "Teacher Not Student" not in picks


def test_search_narrows_the_students_to_pick(world):
    make_student(name="Cleo Candidate")
    make_student(name="Dan Dunn", email="dan@elsewhere.test")

    by_name = signed_in(world["teacher"]).get(f"/app/classes/{world['klass'].pk}/", {"q": "cleo"})
    by_email = signed_in(world["teacher"]).get(f"/app/classes/{world['klass'].pk}/", {"q": "elsewhere"})

    assert b"Cleo Candidate" in by_name.content and b"Dan Dunn" not in by_name.content
    assert b"Dan Dunn" in by_email.content and b"Cleo Candidate" not in by_email.content


def test_add_a_picked_student(world):
    cleo = make_student(name="Cleo Candidate")
    client = signed_in(world["teacher"])

    response = client.post(f"/app/classes/{world['klass'].pk}/students/add/", {"student_id": str(cleo.pk)})

    assert response.status_code == 302
    assert Enrollment.objects.filter(klass=world["klass"], student=cleo).exists()
    assert "Added Cleo Candidate to Chemistry" in client.get(response["Location"]).content.decode()


def test_add_by_email_in_any_case(world):
    cleo = make_student(name="Cleo Candidate", email="cleo@school.test")

    response = signed_in(world["teacher"]).post(
        f"/app/classes/{world['klass'].pk}/students/add/", {"email": "CLEO@School.test"}
    )

    assert response.status_code == 302
    assert Enrollment.objects.filter(klass=world["klass"], student=cleo).exists()


@pytest.mark.parametrize("email", ["nobody@school.test", "owner"])
def test_add_by_email_explains_what_went_wrong(world, email):
    response = signed_in(world["teacher"]).post(f"/app/classes/{world['klass'].pk}/students/add/", {"email": email})

    assert response.status_code == 400
    assert b'aria-invalid="true"' in response.content
    assert Enrollment.objects.filter(klass=world["klass"]).count() == 2


def test_a_deactivated_student_is_neither_offered_nor_added_by_email(world):
    gone = make_student(name="Gone Student", email="gone@school.test", is_active=False)
    client = signed_in(world["teacher"])

    page = client.get(f"/app/classes/{world['klass'].pk}/")
    response = client.post(f"/app/classes/{world['klass'].pk}/students/add/", {"email": "gone@school.test"})

    assert b"Gone Student" not in page.content
    assert response.status_code == 400
    assert b"No student account has this email" in response.content
    assert not Enrollment.objects.filter(student=gone).exists()


def test_a_teacher_cannot_be_added_as_a_student(world):
    client = signed_in(world["teacher"])
    klass = world["klass"]

    by_email = client.post(f"/app/classes/{klass.pk}/students/add/", {"email": world["other_teacher"].email})
    by_id = client.post(f"/app/classes/{klass.pk}/students/add/", {"student_id": str(world["other_teacher"].pk)})

    assert by_email.status_code == 400
    assert b"No student account has this email" in by_email.content
    assert by_id.status_code == 404
    assert Enrollment.objects.filter(klass=klass).count() == 2


def test_adding_twice_keeps_one_enrollment(world):
    client = signed_in(world["teacher"])

    client.post(f"/app/classes/{world['klass'].pk}/students/add/", {"student_id": str(world["ann"].pk)})

    assert Enrollment.objects.filter(klass=world["klass"], student=world["ann"]).count() == 1


def test_remove_takes_the_student_off_but_keeps_their_records(world):
    klass, ann = world["klass"], world["ann"]
    finished_session(klass, {ann: "present"})
    client = signed_in(world["teacher"])

    response = client.post(f"/app/classes/{klass.pk}/students/{ann.pk}/remove/")

    assert response.status_code == 302
    assert not Enrollment.objects.filter(klass=klass, student=ann).exists()
    assert AttendanceRecord.objects.filter(student=ann, session__klass=klass).count() == 1
    page = client.get(response["Location"]).content.decode()
    assert "Removed Ann Archer from Chemistry" in page
    assert Enrollment.objects.filter(klass=world["other_class"], student=ann).exists()


def test_roster_changes_are_post_only(world):
    klass = world["klass"]
    client = signed_in(world["teacher"])

    assert client.get(f"/app/classes/{klass.pk}/students/{world['ann'].pk}/remove/").status_code == 405
    assert client.get(f"/app/classes/{klass.pk}/start/").status_code == 405
    assert Enrollment.objects.filter(klass=klass).count() == 2


def test_roster_forms_enforce_csrf(world):
    klass = world["klass"]
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["teacher"])

    assert client.post(f"/app/classes/{klass.pk}/students/{world['ann'].pk}/remove/").status_code == 403
    assert client.post(f"/app/classes/{klass.pk}/start/").status_code == 403
    assert client.post("/app/", {"class_name": "Sneaky"}).status_code == 403
    assert Enrollment.objects.filter(klass=klass).count() == 2
    assert not AttendanceSession.objects.exists()

    client.get(f"/app/classes/{klass.pk}/")
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    removed = client.post(f"/app/classes/{klass.pk}/students/{world['ann'].pk}/remove/", {"csrfmiddlewaretoken": token})
    assert removed.status_code == 302
    assert Enrollment.objects.filter(klass=klass).count() == 1


def test_history_counts_rates_and_chart(world):
    klass, ann, ben = world["klass"], world["ann"], world["ben"]
    finished_session(klass, {ann: "present", ben: "present"}, days_ago=14)
    finished_session(klass, {ann: "present"}, days_ago=7)  # Ben unmarked: absent at DONE
    finished_session(klass, {ann: "absent", ben: "present"}, days_ago=1)

    html = signed_in(world["teacher"]).get(f"/app/classes/{klass.pk}/").content.decode()

    roster = html[html.index('id="roster-title"') : html.index('id="add-title"')]
    assert re.search(r"Ann Archer.*?<strong>67%</strong>.*?2 of 3", roster, re.S)
    assert re.search(r"Ben Baker.*?<strong>67%</strong>.*?2 of 3", roster, re.S)
    history = html[html.index('id="history-title"') :]
    rows = re.findall(
        r"<tr>\s*<th scope=\"row\">.*?</th>\s*<td>(\d+)</td>\s*<td>\d+</td>\s*<td>\d+</td>"
        r"\s*<td>(\d+)</td>\s*<td>([^<]+)</td>",
        history,
        re.S,
    )
    assert rows == [("1", "1", "50%"), ("1", "1", "50%"), ("2", "0", "100%")]  # newest first
    svg = history[history.index("<svg") : history.index("</svg>")]
    assert 'role="img"' in svg
    assert svg.count('class="chart__present"') == 3
    assert svg.count('class="chart__absent"') == 2
    assert "3 sessions, average attendance 67%" in svg


def test_class_without_sessions_has_no_chart(world):
    html = signed_in(world["teacher"]).get(f"/app/classes/{world['klass'].pk}/").content.decode()

    assert "chart__svg" not in html
    assert "No finished sessions yet" in html


def test_running_session_offers_resume_instead_of_start(world):
    client = signed_in(world["teacher"])
    klass = world["klass"]

    before = client.get(f"/app/classes/{klass.pk}/").content.decode()
    services.session_start(teacher=world["teacher"], klass=klass)
    after = client.get(f"/app/classes/{klass.pk}/").content.decode()

    assert f'action="/app/classes/{klass.pk}/start/"' in before and "Resume session" not in before
    assert f'href="/app/classes/{klass.pk}/live/"' in after and "Session running" in after


# CSV export ---------------------------------------------------------------------------------


def test_csv_export_has_one_row_per_record(world):
    klass, ann, ben = world["klass"], world["ann"], world["ben"]
    first = finished_session(klass, {ben: "present"}, days_ago=7)
    second = finished_session(klass, {ann: "present", ben: "absent"})
    finished_session(world["other_class"], {ann: "absent"})

    response = signed_in(world["teacher"]).get(f"/app/classes/{klass.pk}/export.csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="chemistry-attendance.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "class",
        "session_started_at",
        "session_ended_at",
        "student_name",
        "student_email",
        "status",
        "marked_at",
        "time_zone",
        "session_started_local",
        "marked_at_local",
    ]
    body = [row[:1] + row[3:6] for row in rows[1:]]
    assert body == [
        ["Chemistry", "Ann Archer", ann.email, "absent"],  # unmarked in the first session
        ["Chemistry", "Ben Baker", ben.email, "present"],
        ["Chemistry", "Ann Archer", ann.email, "present"],
        ["Chemistry", "Ben Baker", ben.email, "absent"],
    ]
    assert {row[1] for row in rows[1:3]} == {iso_millis(first.started_at)}
    assert {row[1] for row in rows[3:]} == {iso_millis(second.started_at)}
    assert {row[2] for row in rows[3:]} == {iso_millis(second.ended_at)}
    assert all(row[2].endswith("Z") and row[6].endswith("Z") for row in rows[1:])


def test_csv_export_neutralises_spreadsheet_formulas(world):
    klass = world["klass"]
    sneaky = make_student(name='=HYPERLINK("http://evil.test")')
    Enrollment.objects.create(klass=klass, student=sneaky)
    finished_session(klass, {sneaky: "present"})

    rows = list(
        csv.reader(io.StringIO(signed_in(world["teacher"]).get(f"/app/classes/{klass.pk}/export.csv").content.decode()))
    )

    names = [row[3] for row in rows[1:]]
    assert '\'=HYPERLINK("http://evil.test")' in names
    assert not any(name.startswith("=") for name in names)


def test_csv_of_a_class_without_sessions_is_just_the_header(world):
    response = signed_in(world["teacher"]).get(f"/app/classes/{world['klass'].pk}/export.csv")

    assert response.content.decode().splitlines() == [
        '"class","session_started_at","session_ended_at","student_name","student_email","status","marked_at",'
        '"time_zone","session_started_local","marked_at_local"'
    ]


def test_history_table_chart_and_csv_show_late_and_excused(world):
    klass, ann, ben = world["klass"], world["ann"], world["ben"]
    finished_session(klass, {ann: "late", ben: "excused"})
    client = signed_in(world["teacher"])

    html = client.get(f"/app/classes/{klass.pk}/").content.decode()
    rows = list(csv.reader(io.StringIO(client.get(f"/app/classes/{klass.pk}/export.csv").content.decode())))

    history = html[html.index('id="history-title"') :]
    assert re.search(r"<th scope=\"col\">Late</th><th scope=\"col\">Excused</th>", history)
    cells = re.findall(r"<td>([^<]+)</td>", history[history.index("<tbody>") :])
    assert cells[:5] == ["0", "1", "1", "0", "50%"]  # present, late, excused, absent, rate
    assert 'class="chart__late"' in history and 'class="chart__excused"' in history
    assert "Late (solid orange)" in history
    roster = html[html.index('id="roster-title"') : html.index('id="add-title"')]
    assert re.search(r"Ann Archer.*?<strong>100%</strong>", roster, re.S)
    assert re.search(r"Ben Baker.*?<strong>0%</strong>", roster, re.S)
    assert sorted(row[5] for row in rows[1:]) == ["excused", "late"]
