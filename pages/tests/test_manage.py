"""Class management pages (rename, archive, restore, delete) and a student's classes (leave)."""

import pytest
from django.test import Client

from attendance import services as attendance_services
from attendance.models import AttendanceRecord, AttendanceSession
from classes.models import Class, Enrollment
from tests.factories import finished_session, make_class, make_student, make_teacher, signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    teacher = make_teacher(name="Ms Owner")
    ann = make_student(name="Ann Archer")
    klass = make_class(teacher=teacher, students=[ann], name="Chemistry")
    finished_session(klass, {ann: "present"})
    finished_session(klass, {ann: "absent"})
    return {"teacher": teacher, "ann": ann, "klass": klass}


def stored(klass) -> Class:
    return Class.objects.get(pk=klass.pk)


def manage_urls(klass) -> list[tuple[str, str]]:
    base = f"/app/classes/{klass.pk}"
    return [
        ("post", f"{base}/rename/"),
        ("post", f"{base}/archive/"),
        ("post", f"{base}/restore/"),
        ("get", f"{base}/delete/"),
        ("post", f"{base}/delete/"),
    ]


def test_signed_out_visitors_are_sent_to_sign_in(world):
    for method, url in [*manage_urls(world["klass"]), ("get", "/app/archived/"), ("get", "/app/my-classes/")]:
        response = getattr(Client(), method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/?next="), url


def test_another_teacher_gets_404_and_changes_nothing(world):
    intruder = signed_in(make_teacher())
    for method, url in manage_urls(world["klass"]):
        response = getattr(intruder, method)(url, {"rename-class_name": "Mine", "confirm_name": "Chemistry"})
        assert response.status_code == 404, url
    assert stored(world["klass"]).class_name == "Chemistry"
    assert not stored(world["klass"]).archived


def test_a_student_may_not_manage_a_class(world):
    client = signed_in(world["ann"])
    for method, url in manage_urls(world["klass"]):
        assert getattr(client, method)(url, {"rename-class_name": "Mine"}).status_code == 403, url
    assert stored(world["klass"]).class_name == "Chemistry"


# --- rename -------------------------------------------------------------------------------


def test_the_class_page_renames_the_class(world):
    client = signed_in(world["teacher"])
    page = client.get(f"/app/classes/{world['klass'].pk}/")
    assert b'name="rename-class_name"' in page.content

    response = client.post(f"/app/classes/{world['klass'].pk}/rename/", {"rename-class_name": " Chemistry 2 "})

    assert response.status_code == 302
    assert stored(world["klass"]).class_name == "Chemistry 2"
    assert b"Renamed Chemistry to Chemistry 2." in client.get(response["Location"]).content


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_a_bad_name_is_shown_on_the_class_page_and_changes_nothing(world, name):
    response = signed_in(world["teacher"]).post(
        f"/app/classes/{world['klass'].pk}/rename/", {"rename-class_name": name}
    )

    assert response.status_code == 400
    assert b"errorlist" in response.content
    assert stored(world["klass"]).class_name == "Chemistry"


# --- archive and restore ------------------------------------------------------------------


def test_archiving_hides_the_class_from_the_dashboard_and_the_student_and_restoring_brings_it_back(world):
    teacher, student = signed_in(world["teacher"]), signed_in(world["ann"])
    class_id = world["klass"].pk

    response = teacher.post(f"/app/classes/{class_id}/archive/")

    assert response["Location"] == "/app/"
    dashboard = teacher.get("/app/")
    assert b"Archived Chemistry" in dashboard.content
    assert f'href="/app/classes/{class_id}/"'.encode() not in dashboard.content
    assert b"Archived classes (1)" in dashboard.content
    assert b"Chemistry" not in student.get("/app/my-classes/").content
    assert f'data-class-id="{class_id}"'.encode() not in student.get("/app/live/").content
    assert b"Chemistry" in student.get("/app/history/").content  # history kept
    archived = teacher.get("/app/archived/")
    assert b"Chemistry" in archived.content
    assert teacher.get(f"/app/classes/{class_id}/export.csv").content.count(b"Ann Archer") == 2
    page = teacher.get(f"/app/classes/{class_id}/")
    assert b"This class is archived." in page.content
    assert b"Start attendance" not in page.content

    teacher.post(f"/app/classes/{class_id}/restore/")

    assert not stored(world["klass"]).archived
    assert f'href="/app/classes/{class_id}/"'.encode() in teacher.get("/app/").content
    assert b"Chemistry" in student.get("/app/my-classes/").content
    assert f'data-class-id="{class_id}"'.encode() in student.get("/app/live/").content


def test_archiving_with_a_running_session_says_to_finish_it_and_changes_nothing(world):
    attendance_services.session_start(teacher=world["teacher"], klass=world["klass"])
    client = signed_in(world["teacher"])

    response = client.post(f"/app/classes/{world['klass'].pk}/archive/", follow=True)

    assert b"Finish the running session of Chemistry first" in response.content
    assert not stored(world["klass"]).archived


def test_starting_attendance_in_an_archived_class_says_to_restore_it(world):
    client = signed_in(world["teacher"])
    client.post(f"/app/classes/{world['klass'].pk}/archive/")

    response = client.post(f"/app/classes/{world['klass'].pk}/start/", follow=True)

    assert b"Chemistry is archived: restore it to take attendance." in response.content
    assert not AttendanceSession.objects.filter(is_active=True).exists()


# --- delete -------------------------------------------------------------------------------


def test_the_delete_page_names_the_class_and_its_sessions(world):
    page = signed_in(world["teacher"]).get(f"/app/classes/{world['klass'].pk}/delete/")

    assert page.status_code == 200
    assert b"Delete Chemistry?" in page.content
    assert b"2 sessions" in page.content
    assert b"1 student" in page.content


@pytest.mark.parametrize("typed", ["", "chemistry", "Chem", "Physics"])
def test_delete_without_the_exact_class_name_changes_nothing(world, typed):
    response = signed_in(world["teacher"]).post(f"/app/classes/{world['klass'].pk}/delete/", {"confirm_name": typed})

    assert response.status_code == 400
    assert b"errorlist" in response.content
    assert Class.objects.filter(pk=world["klass"].pk).exists()


def test_delete_with_the_class_name_removes_the_class_and_its_history(world):
    client = signed_in(world["teacher"])

    response = client.post(f"/app/classes/{world['klass'].pk}/delete/", {"confirm_name": "Chemistry"})

    assert response["Location"] == "/app/"
    assert b"Deleted Chemistry and its history." in client.get("/app/").content
    assert not Class.objects.exists()
    assert not AttendanceSession.objects.exists()
    assert not AttendanceRecord.objects.exists()


def test_delete_while_a_session_runs_is_refused_with_a_message(world):
    attendance_services.session_start(teacher=world["teacher"], klass=world["klass"])
    client = signed_in(world["teacher"])
    assert b"finish it before deleting" in client.get(f"/app/classes/{world['klass'].pk}/delete/").content

    response = client.post(f"/app/classes/{world['klass'].pk}/delete/", {"confirm_name": "Chemistry"})

    assert response.status_code == 409
    assert b"Finish the running session of Chemistry first" in response.content
    assert Class.objects.filter(pk=world["klass"].pk).exists()


# --- a student's classes ------------------------------------------------------------------


def test_a_student_sees_their_classes_with_their_teachers(world):
    make_class(teacher=make_teacher(), students=[], name="Not Mine")

    page = signed_in(world["ann"]).get("/app/my-classes/")

    assert page.status_code == 200
    assert b"Chemistry" in page.content
    assert b"Teacher: Ms Owner" in page.content
    assert b"Not Mine" not in page.content
    assert b'href="/app/my-classes/"' in page.content


def test_a_teacher_has_no_student_classes_page(world):
    assert signed_in(world["teacher"]).get("/app/my-classes/").status_code == 403


def test_a_student_confirms_and_leaves_a_class_keeping_their_history(world):
    client = signed_in(world["ann"])
    confirm = client.get(f"/app/my-classes/{world['klass'].pk}/leave/")
    assert b"Leave Chemistry?" in confirm.content

    response = client.post(f"/app/my-classes/{world['klass'].pk}/leave/", follow=True)

    assert b"You left Chemistry." in response.content
    assert not Enrollment.objects.filter(student=world["ann"]).exists()
    assert AttendanceRecord.objects.filter(student=world["ann"]).count() == 2
    assert client.get(f"/app/my-classes/{world['klass'].pk}/leave/").status_code == 404


def test_leaving_while_the_session_runs_is_refused_with_a_message(world):
    attendance_services.session_start(teacher=world["teacher"], klass=world["klass"])
    client = signed_in(world["ann"])
    assert b"You can leave once the session is finished." in client.get("/app/my-classes/").content

    response = client.post(f"/app/my-classes/{world['klass'].pk}/leave/", follow=True)

    assert b"Chemistry has a session running" in response.content
    assert Enrollment.objects.filter(student=world["ann"]).exists()


@pytest.mark.parametrize("class_id", ["someid", "999999", "507f1f77bcf86cd799439011"])
def test_leaving_a_class_that_is_not_yours_is_404(world, class_id):
    other = make_class(teacher=make_teacher(), students=[], name="Other")
    client = signed_in(world["ann"])

    assert client.post(f"/app/my-classes/{class_id}/leave/").status_code == 404
    assert client.post(f"/app/my-classes/{other.pk}/leave/").status_code == 404
    assert Enrollment.objects.filter(student=world["ann"]).exists()
