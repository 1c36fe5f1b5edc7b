"""The admin on MongoDB: pages, searches, filters, ObjectId URLs, the CSV export, add and delete."""

import pytest
from django.contrib import admin
from django.contrib.admin.models import ADDITION, DELETION, LogEntry
from django.urls import reverse

from accounts.models import User
from attendance import services
from attendance.models import AttendanceRecord, AttendanceSession
from classes.models import Class, Enrollment
from tests import factories

pytestmark = [pytest.mark.mongodb, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser(email="root@school.test", password="admin-pass-1"))
    return client


@pytest.fixture
def school():
    """A class with a finished session, and another class with a running one."""
    teacher = factories.make_teacher(name="Ada Teacher")
    alan, grace = factories.make_student(name="Alan Pupil"), factories.make_student(name="Grace Pupil")
    maths = factories.make_class(teacher=teacher, students=[alan, grace], name="Maths")
    finished = services.session_start(teacher=teacher, klass=maths)
    services.attendance_mark(session=finished, student_id=str(alan.pk), status="present", by=teacher)
    services.session_finish(session=finished)
    physics = factories.make_class(teacher=teacher, students=[alan], name="Physics")
    running = services.session_start(teacher=teacher, klass=physics)
    return {
        "teacher": teacher,
        "alan": alan,
        "grace": grace,
        "maths": maths,
        "physics": physics,
        "finished": finished,
        "running": running,
    }


def test_every_changelist_and_its_search_render(admin_client, school):
    for model, model_admin in admin.site._registry.items():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert admin_client.get(url).status_code == 200, url
        if model_admin.search_fields:
            assert admin_client.get(url, {"q": "Pupil"}).status_code == 200, url


def test_searches_match_text_fields(admin_client, school):
    users = admin_client.get("/admin/accounts/user/", {"q": "alan"})
    assert b"Alan Pupil" in users.content
    assert b"Grace Pupil" not in users.content
    classes = admin_client.get("/admin/classes/class/", {"q": "phys"})
    assert b"Physics" in classes.content
    assert b"Maths" not in classes.content


def listed(response) -> list:
    """Return the primary keys a changelist page shows."""
    assert response.status_code == 200
    return [obj.pk for obj in response.context["cl"].result_list]


def test_filters_by_object_id_and_date_drill_down(admin_client, school):
    teacher, finished, running = school["teacher"], school["finished"], school["running"]
    by_teacher = admin_client.get("/admin/classes/class/", {"teacher__id__exact": str(teacher.pk)})
    assert sorted(listed(by_teacher)) == sorted([school["maths"].pk, school["physics"].pk])
    by_class = admin_client.get("/admin/attendance/attendancesession/", {"klass__id__exact": str(school["physics"].pk)})
    assert listed(by_class) == [running.pk]
    assert listed(admin_client.get("/admin/attendance/attendancesession/", {"is_active__exact": "0"})) == [finished.pk]
    started = finished.started_at
    day = admin_client.get(
        "/admin/attendance/attendancesession/",
        {"started_at__year": started.year, "started_at__month": started.month, "started_at__day": started.day},
    )
    assert finished.pk in listed(day)


def test_change_pages_open_by_object_id(admin_client, school):
    pages = [
        f"/admin/accounts/user/{school['alan'].pk}/change/",
        f"/admin/classes/class/{school['maths'].pk}/change/",
        f"/admin/attendance/attendancesession/{school['finished'].pk}/change/",
        f"/admin/attendance/attendancesession/{school['running'].pk}/change/",
    ]
    for url in pages:
        response = admin_client.get(url)
        assert response.status_code == 200, url
    assert b"Alan Pupil" in admin_client.get(pages[1]).content


@pytest.mark.parametrize("raw", ["someid", "123", "507f1f77bcf86cd799439011"])
def test_a_change_url_naming_nothing_redirects_instead_of_failing(admin_client, raw):
    response = admin_client.get(f"/admin/classes/class/{raw}/change/")
    assert response.status_code == 302
    assert response.url == reverse("admin:index")


def test_autocomplete_answers_with_string_ids(admin_client, school):
    response = admin_client.get(
        "/admin/autocomplete/",
        {"app_label": "classes", "model_name": "class", "field_name": "teacher", "term": "Ada"},
    )
    assert response.status_code == 200
    assert response.json()["results"] == [{"id": str(school["teacher"].pk), "text": str(school["teacher"])}]


def test_csv_export_of_selected_sessions(admin_client, school):
    response = admin_client.post(
        "/admin/attendance/attendancesession/",
        {"action": "export_csv", "_selected_action": [str(school["finished"].pk)]},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = response.content.decode().splitlines()
    assert len(rows) == 3  # header, Alan, Grace
    assert {row.split(",")[-2] for row in rows[1:]} == {"present", "absent"}


def test_adding_a_class_with_its_roster(admin_client, school):
    response = admin_client.post(
        "/admin/classes/class/add/",
        {
            "class_name": "Chemistry",
            "teacher": str(school["teacher"].pk),
            "enrollments-TOTAL_FORMS": "1",
            "enrollments-INITIAL_FORMS": "0",
            "enrollments-MIN_NUM_FORMS": "0",
            "enrollments-MAX_NUM_FORMS": "1000",
            "enrollments-0-student": str(school["grace"].pk),
        },
    )
    assert response.status_code == 302, response.content
    chemistry = Class.objects.get(class_name="Chemistry")
    assert list(Enrollment.objects.filter(klass=chemistry).values_list("student_id", flat=True)) == [school["grace"].pk]
    assert LogEntry.objects.filter(object_id=str(chemistry.pk), action_flag=ADDITION).exists()


def test_deleting_a_class_cascades_to_its_roster_sessions_and_records(admin_client, school):
    maths = school["maths"]
    url = f"/admin/classes/class/{maths.pk}/delete/"
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert not Class.objects.filter(pk=maths.pk).exists()
    assert not Enrollment.objects.filter(klass_id=maths.pk).exists()
    assert not AttendanceSession.objects.filter(klass_id=maths.pk).exists()
    assert not AttendanceRecord.objects.filter(session_id=school["finished"].pk).exists()
    assert AttendanceSession.objects.filter(pk=school["running"].pk).exists()
    assert LogEntry.objects.filter(object_id=str(maths.pk), action_flag=DELETION).exists()


def test_deleting_a_teacher_who_marked_keeps_nothing_dangling(admin_client, school):
    teacher = school["teacher"]
    response = admin_client.post(f"/admin/accounts/user/{teacher.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=teacher.pk).exists()
    assert not Class.objects.exists()
    assert not AttendanceRecord.objects.exists()
