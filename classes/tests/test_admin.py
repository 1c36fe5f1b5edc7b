"""The class admin: list, search, and the roster inline on the class page."""

import pytest
from django.test import Client

from accounts.models import User
from attendance import services as attendance_services
from attendance.models import AttendanceSession
from classes import services
from classes.models import Class, Enrollment
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client():
    client = Client()
    client.force_login(User.objects.create_superuser(email="root@school.test", password="admin-pass-1"))
    return client


def test_class_changelist_lists_classes_with_roster_size(admin_client):
    factories.make_class(name="Chemistry 9C", students=[factories.make_student(), factories.make_student()])

    response = admin_client.get("/admin/classes/class/")

    assert response.status_code == 200
    assert b"Chemistry 9C" in response.content
    assert b'<td class="field-roster_size">2</td>' in response.content


def test_class_changelist_search_and_teacher_filter(admin_client):
    teacher = factories.make_teacher()
    factories.make_class(teacher=teacher, name="Biology")
    factories.make_class(name="History")

    searched = admin_client.get("/admin/classes/class/", {"q": "bio"})
    filtered = admin_client.get("/admin/classes/class/", {"teacher__id__exact": teacher.pk})

    assert searched.status_code == 200
    assert b"Biology" in searched.content
    assert b"History" not in searched.content
    assert filtered.status_code == 200
    assert b"Biology" in filtered.content
    assert b"History" not in filtered.content


def test_class_change_page_shows_the_enrollment_inline(admin_client):
    student = factories.make_student(name="Inline Pupil")
    klass = factories.make_class(students=[student], name="Geography")

    response = admin_client.get(f"/admin/classes/class/{klass.pk}/change/")

    assert response.status_code == 200
    assert b"enrollments-TOTAL_FORMS" in response.content
    assert b"Inline Pupil" in response.content


def test_class_add_page_renders(admin_client):
    assert admin_client.get("/admin/classes/class/add/").status_code == 200


def test_enrolling_through_the_inline_adds_to_the_roster(admin_client):
    klass = factories.make_class(name="Music")
    student = factories.make_student()

    response = admin_client.post(
        f"/admin/classes/class/{klass.pk}/change/",
        {
            "class_name": "Music",
            "teacher": klass.teacher_id,
            "enrollments-TOTAL_FORMS": "1",
            "enrollments-INITIAL_FORMS": "0",
            "enrollments-MIN_NUM_FORMS": "0",
            "enrollments-MAX_NUM_FORMS": "1000",
            "enrollments-0-student": student.pk,
            "enrollments-0-klass": klass.pk,
        },
    )

    assert response.status_code == 302, response.content[:3000]
    assert Enrollment.objects.filter(klass=klass, student=student).exists()


def test_teacher_without_staff_flag_cannot_open_the_class_admin(teacher):
    client = Client()
    client.force_login(teacher)

    response = client.get("/admin/classes/class/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_changelist_shows_and_filters_archived_classes(admin_client):
    kept = factories.make_class(name="Current Class")
    services.class_archive(klass=factories.make_class(name="Last Term"))

    archived = admin_client.get("/admin/classes/class/", {"archived": "yes"})
    in_use = admin_client.get("/admin/classes/class/", {"archived": "no"})

    assert b"Last Term" in archived.content
    assert b"Current Class" not in archived.content
    assert b"Current Class" in in_use.content
    assert b"Last Term" not in in_use.content
    assert kept.archived_at is None


def test_the_archive_and_restore_actions_go_through_the_service(admin_client):
    idle = factories.make_class(name="Idle")
    busy = factories.make_class(name="Busy")
    attendance_services.session_start(teacher=busy.teacher, klass=busy)

    response = admin_client.post(
        "/admin/classes/class/",
        {"action": "archive_classes", "_selected_action": [idle.pk, busy.pk]},
        follow=True,
    )

    assert b"Archived 1 class." in response.content
    assert b"Busy: Session running" in response.content
    assert Class.objects.get(pk=idle.pk).archived
    assert not Class.objects.get(pk=busy.pk).archived
    admin_client.post("/admin/classes/class/", {"action": "restore_classes", "_selected_action": [idle.pk]})
    assert not Class.objects.get(pk=idle.pk).archived


def test_the_admin_shows_a_class_with_its_history_and_deletes_it_unless_its_session_runs(admin_client):
    student = factories.make_student()
    klass = factories.make_class(students=[student], name="Doomed")
    factories.finished_session(klass, {student: "present"})

    confirm = admin_client.get(f"/admin/classes/class/{klass.pk}/delete/")
    assert confirm.status_code == 200
    assert b"attendance session" in confirm.content.lower()  # the admin lists what goes with it
    admin_client.post(f"/admin/classes/class/{klass.pk}/delete/", {"post": "yes"})
    assert not Class.objects.filter(pk=klass.pk).exists()
    assert not AttendanceSession.objects.exists()

    busy = factories.make_class(name="Busy")
    attendance_services.session_start(teacher=busy.teacher, klass=busy)
    assert admin_client.post(f"/admin/classes/class/{busy.pk}/delete/", {"post": "yes"}).status_code == 403
    admin_client.post(
        "/admin/classes/class/", {"action": "delete_selected", "_selected_action": [busy.pk], "post": "yes"}
    )
    assert Class.objects.filter(pk=busy.pk).exists()


def test_the_admin_sets_a_class_time_zone_and_shows_its_join_code(admin_client):
    from classes.services import join_code_set

    klass = factories.make_class(name="Music")
    code = join_code_set(klass=klass).code
    page = admin_client.get(f"/admin/classes/class/{klass.pk}/change/").content.decode()
    assert code in page

    form = {
        "class_name": "Music",
        "teacher": klass.teacher_id,
        "enrollments-TOTAL_FORMS": "0",
        "enrollments-INITIAL_FORMS": "0",
        "enrollments-MIN_NUM_FORMS": "0",
        "enrollments-MAX_NUM_FORMS": "1000",
    }
    response = admin_client.post(f"/admin/classes/class/{klass.pk}/change/", {**form, "time_zone": "Asia/Tokyo"})
    assert response.status_code == 302
    klass.refresh_from_db()
    assert klass.time_zone == "Asia/Tokyo"

    response = admin_client.post(f"/admin/classes/class/{klass.pk}/change/", {**form, "time_zone": "Mars/Olympus"})
    assert response.status_code == 200  # the form again, with the error
    klass.refresh_from_db()
    assert klass.time_zone == "Asia/Tokyo"
