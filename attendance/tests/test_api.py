"""The attendance routes of the REST contract: POST /attendance/start and GET /class/:id/my-attendance."""

import re
import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from attendance import services
from attendance.models import AttendanceRecord, AttendanceSession
from core.errors import Messages
from tests import factories

pytestmark = pytest.mark.django_db

ISO_MILLIS_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
BAD_IDS = ["someid", "507f1f77bcf86cd799439011", "-1", "0", "99999999999999999999999", "%00", "ü"]


def assert_error(response, status: int, message: str) -> None:
    assert response.status_code == status, response.content
    assert response.json() == {"success": False, "error": message}


def assert_ok(response, status: int = 200):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"success", "data"}
    assert body["success"] is True
    return body["data"]


@pytest.fixture
def klass(teacher, student):
    return factories.make_class(teacher=teacher, students=[student])


def start(client, class_id):
    return client.post("/attendance/start", {"classId": class_id}, format="json")


# --- POST /attendance/start -----------------------------------------------------------------


def test_start_returns_class_id_and_started_at_in_iso_millis_z(auth, teacher, klass):
    before = timezone.now().replace(microsecond=0)

    data = assert_ok(start(auth(teacher), str(klass.pk)))

    assert set(data) == {"classId", "startedAt"}
    assert data["classId"] == str(klass.pk)
    assert ISO_MILLIS_Z.match(data["startedAt"]), data["startedAt"]
    session = AttendanceSession.objects.get(klass=klass, is_active=True)
    assert session.teacher == teacher
    assert session.started_at >= before


def test_start_accepts_a_numeric_class_id(auth, teacher, klass):
    assert assert_ok(start(auth(teacher), klass.pk))["classId"] == str(klass.pk)


def test_second_start_returns_the_same_started_at_and_keeps_the_marks(auth, teacher, student, klass):
    client = auth(teacher)
    first = assert_ok(start(client, str(klass.pk)))
    session = AttendanceSession.objects.get(klass=klass, is_active=True)
    services.attendance_mark(session=session, student_id=str(student.pk), status="present", by=teacher)

    second = assert_ok(start(client, str(klass.pk)))

    assert second == first
    assert AttendanceSession.objects.filter(klass=klass).count() == 1
    assert AttendanceRecord.objects.get(session=session, student=student).status == "present"


def test_start_after_a_finished_session_opens_a_new_one(auth, teacher, student, klass):
    client = auth(teacher)
    assert_ok(start(client, str(klass.pk)))
    services.session_finish(session=AttendanceSession.objects.get(klass=klass, is_active=True))

    assert_ok(start(client, str(klass.pk)))

    assert AttendanceSession.objects.filter(klass=klass).count() == 2
    assert AttendanceSession.objects.filter(klass=klass, is_active=True).count() == 1


def test_start_replaces_a_session_left_running_past_the_limit(auth, teacher, klass):
    old = AttendanceSession.objects.create(
        klass=klass,
        teacher=teacher,
        started_at=timezone.now() - timedelta(hours=settings.SESSION_MAX_HOURS + 1),
        is_active=True,
    )

    data = assert_ok(start(auth(teacher), str(klass.pk)))

    old.refresh_from_db()
    assert not old.is_active
    assert old.finished_automatically
    running = AttendanceSession.objects.get(klass=klass, is_active=True)
    assert running.pk != old.pk
    assert ISO_MILLIS_Z.match(data["startedAt"])


def test_sessions_of_different_classes_run_at_once(auth, teacher, klass):
    other = factories.make_class(teacher=teacher, name="Physics")
    client = auth(teacher)

    assert_ok(start(client, str(klass.pk)))
    assert_ok(start(client, str(other.pk)))

    assert AttendanceSession.objects.filter(is_active=True).count() == 2


def test_start_without_token_is_401(api, klass):
    assert_error(start(api, str(klass.pk)), 401, Messages.UNAUTHORIZED)


def test_start_as_student_is_403_even_with_a_bad_body(auth, student):
    response = auth(student).post("/attendance/start", {"classId": {"$ne": None}}, format="json")

    assert_error(response, 403, Messages.TEACHER_REQUIRED)


def test_start_as_another_teacher_is_403(auth, klass):
    assert_error(start(auth(factories.make_teacher()), str(klass.pk)), 403, Messages.NOT_CLASS_TEACHER)
    assert not AttendanceSession.objects.exists()


@pytest.mark.parametrize("class_id", [*BAD_IDS, -1, 0, 99999999999999999999999, "../x"], ids=repr)
def test_start_unknown_or_malformed_class_is_404(auth, teacher, class_id):
    assert_error(start(auth(teacher), class_id), 404, Messages.CLASS_NOT_FOUND)


@pytest.mark.parametrize(
    "body",
    [{}, {"classId": None}, {"classId": {"$ne": None}}, {"classId": ["1"]}, {"classId": True}, {"classId": ""}],
    ids=repr,
)
def test_start_invalid_body_is_400_before_the_class_lookup(auth, teacher, body):
    assert_error(auth(teacher).post("/attendance/start", body, format="json"), 400, Messages.INVALID_SCHEMA)


@pytest.mark.parametrize("raw", ["{oops", "[]", '"1"', "1"], ids=repr)
def test_start_body_not_a_json_object_is_400(auth, teacher, raw):
    response = auth(teacher).generic("POST", "/attendance/start", raw, content_type="application/json")

    assert_error(response, 400, Messages.INVALID_SCHEMA)


def test_start_wrong_method_is_405(auth, teacher):
    assert_error(auth(teacher).get("/attendance/start"), 405, Messages.METHOD_NOT_ALLOWED)


# --- GET /class/:id/my-attendance -----------------------------------------------------------


def test_my_attendance_is_null_before_any_session(auth, student, klass):
    data = assert_ok(auth(student).get(f"/class/{klass.pk}/my-attendance"))

    assert data == {"classId": str(klass.pk), "status": None}


def test_my_attendance_is_null_while_the_only_session_is_running(auth, teacher, student, klass):
    session = services.session_start(teacher=teacher, klass=klass)
    services.attendance_mark(session=session, student_id=str(student.pk), status="present", by=teacher)

    data = assert_ok(auth(student).get(f"/class/{klass.pk}/my-attendance"))

    assert data == {"classId": str(klass.pk), "status": None}


@pytest.mark.parametrize("status", ["present", "absent"])
def test_my_attendance_returns_the_status_persisted_by_the_ended_session(auth, teacher, student, klass, status):
    session = services.session_start(teacher=teacher, klass=klass)
    services.attendance_mark(session=session, student_id=str(student.pk), status=status, by=teacher)
    services.session_finish(session=session)

    data = assert_ok(auth(student).get(f"/class/{klass.pk}/my-attendance"))

    assert data == {"classId": str(klass.pk), "status": status}


def test_my_attendance_of_an_unmarked_student_after_done_is_absent(auth, teacher, student, klass):
    session = services.session_start(teacher=teacher, klass=klass)
    services.session_finish(session=session)

    assert assert_ok(auth(student).get(f"/class/{klass.pk}/my-attendance"))["status"] == "absent"


def test_my_attendance_follows_the_latest_ended_session(auth, teacher, student, klass):
    first = services.session_start(teacher=teacher, klass=klass)
    services.attendance_mark(session=first, student_id=str(student.pk), status="absent", by=teacher)
    services.session_finish(session=first)
    second = services.session_start(teacher=teacher, klass=klass)
    services.attendance_mark(session=second, student_id=str(student.pk), status="present", by=teacher)
    services.session_finish(session=second)
    # A third, still running session does not count yet.
    third = services.session_start(teacher=teacher, klass=klass)
    services.attendance_mark(session=third, student_id=str(student.pk), status="absent", by=teacher)

    data = assert_ok(auth(student).get(f"/class/{klass.pk}/my-attendance"))

    assert data["status"] == "present"


def test_my_attendance_through_the_api_start_then_finish(auth, teacher, student, klass):
    assert_ok(start(auth(teacher), str(klass.pk)))
    session = AttendanceSession.objects.get(klass=klass, is_active=True)
    services.attendance_mark(session=session, student_id=str(student.pk), status="present", by=teacher)
    services.session_finish(session=session)

    assert assert_ok(auth(student, bearer=True).get(f"/class/{klass.pk}/my-attendance"))["status"] == "present"


def test_my_attendance_is_per_class(auth, teacher, student, klass):
    other = factories.make_class(teacher=teacher, students=[student], name="Physics")
    session = services.session_start(teacher=teacher, klass=klass)
    services.attendance_mark(session=session, student_id=str(student.pk), status="present", by=teacher)
    services.session_finish(session=session)

    assert assert_ok(auth(student).get(f"/class/{other.pk}/my-attendance"))["status"] is None


def test_my_attendance_without_token_is_401(api, klass):
    assert_error(api.get(f"/class/{klass.pk}/my-attendance"), 401, Messages.UNAUTHORIZED)


def test_my_attendance_as_teacher_is_403(auth, teacher, klass):
    assert_error(auth(teacher).get(f"/class/{klass.pk}/my-attendance"), 403, Messages.STUDENT_REQUIRED)


def test_my_attendance_as_teacher_of_an_unknown_class_is_403_first(auth, teacher):
    assert_error(auth(teacher).get("/class/someid/my-attendance"), 403, Messages.STUDENT_REQUIRED)


def test_my_attendance_not_enrolled_is_403(auth, klass):
    outsider = factories.make_student()

    assert_error(auth(outsider).get(f"/class/{klass.pk}/my-attendance"), 403, Messages.NOT_ENROLLED)


@pytest.mark.parametrize("class_id", BAD_IDS, ids=repr)
def test_my_attendance_unknown_or_malformed_class_is_404(auth, student, class_id):
    assert_error(auth(student).get(f"/class/{class_id}/my-attendance"), 404, Messages.CLASS_NOT_FOUND)


def test_my_attendance_wrong_method_is_405(auth, student, klass):
    assert_error(auth(student).post(f"/class/{klass.pk}/my-attendance"), 405, Messages.METHOD_NOT_ALLOWED)


@pytest.mark.django_db(transaction=True)
def test_concurrent_starts_of_one_class_share_one_session():
    teacher = factories.make_teacher()
    klass = factories.make_class(teacher=teacher, students=[factories.make_student()])
    token = factories.token_for(teacher)
    barrier = threading.Barrier(6)
    results: list = [None] * 6

    def run(i: int) -> None:
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=token)
            barrier.wait(timeout=10)
            response = start(client, str(klass.pk))
            results[i] = (response.status_code, response.json())
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert [status for status, _ in results] == [200] * 6, results
    assert len({body["data"]["startedAt"] for _, body in results}) == 1
    assert AttendanceSession.objects.filter(klass=klass).count() == 1


@pytest.mark.parametrize("status", ["late", "excused"])
def test_my_attendance_returns_the_exact_status(auth, teacher, student, klass, status):
    session = services.session_start(teacher=teacher, klass=klass)
    services.attendance_mark(session=session, student_id=str(student.pk), status=status, by=teacher)
    services.session_finish(session=session)

    data = assert_ok(auth(student).get(f"/class/{klass.pk}/my-attendance"))

    assert data == {"classId": str(klass.pk), "status": status}
