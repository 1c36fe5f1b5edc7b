"""PATCH /class/:id, POST /class/:id/archive|restore|leave, DELETE /class/:id: shapes and every refusal."""

import pytest

from attendance import services as attendance_services
from attendance.models import AttendanceRecord, AttendanceSession
from classes.models import Class, Enrollment
from classes.tests.test_api import BAD_PATH_IDS, assert_error, assert_ok
from core.errors import Messages
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def klass(teacher, student):
    return factories.make_class(teacher=teacher, students=[student], name="Biology")


def _stored(klass) -> Class:
    return Class.objects.get(pk=klass.pk)


# --- PATCH /class/:id ---------------------------------------------------------------------


def test_rename_answers_the_class_with_its_new_name(auth, teacher, student, klass):
    data = assert_ok(auth(teacher).patch(f"/class/{klass.pk}", {"className": "  Biology 2  "}, format="json"))

    assert data == {
        "_id": str(klass.pk),
        "className": "Biology 2",
        "teacherId": str(teacher.pk),
        "studentIds": [str(student.pk)],
        "archived": False,
    }
    assert _stored(klass).class_name == "Biology 2"
    assert assert_ok(auth(teacher).get(f"/class/{klass.pk}"))["className"] == "Biology 2"


@pytest.mark.parametrize(
    "body",
    [{}, {"className": ""}, {"className": "   "}, {"className": 5}, {"className": None}, {"className": "x" * 201}],
    ids=repr,
)
def test_rename_with_a_bad_body_is_400_and_changes_nothing(auth, teacher, klass, body):
    assert_error(auth(teacher).patch(f"/class/{klass.pk}", body, format="json"), 400, Messages.INVALID_SCHEMA)

    assert _stored(klass).class_name == "Biology"


def test_renaming_another_teachers_class_is_403_and_changes_nothing(auth, klass):
    other = factories.make_teacher()

    response = auth(other).patch(f"/class/{klass.pk}", {"className": "Mine now"}, format="json")

    assert_error(response, 403, Messages.NOT_CLASS_TEACHER)
    assert _stored(klass).class_name == "Biology"


def test_rename_by_a_student_of_the_class_is_403_teacher_required(auth, student, klass):
    response = auth(student).patch(f"/class/{klass.pk}", {"className": "Mine"}, format="json")

    assert_error(response, 403, Messages.TEACHER_REQUIRED)
    assert _stored(klass).class_name == "Biology"


def test_rename_check_order_body_before_class(auth, teacher):
    assert_error(auth(teacher).patch("/class/someid", {}, format="json"), 400, Messages.INVALID_SCHEMA)


@pytest.mark.parametrize("class_id", BAD_PATH_IDS)
def test_rename_of_an_id_naming_nothing_is_404(auth, teacher, class_id):
    response = auth(teacher).patch(f"/class/{class_id}", {"className": "X"}, format="json")

    assert_error(response, 404, Messages.CLASS_NOT_FOUND)


# --- POST /class/:id/archive and /restore -------------------------------------------------


def test_archive_and_restore_answer_the_class_with_its_flag(auth, teacher, student, klass):
    client = auth(teacher)

    archived = assert_ok(client.post(f"/class/{klass.pk}/archive"))
    again = assert_ok(client.post(f"/class/{klass.pk}/archive"))
    assert (
        archived
        == again
        == {
            "_id": str(klass.pk),
            "className": "Biology",
            "teacherId": str(teacher.pk),
            "studentIds": [str(student.pk)],
            "archived": True,
        }
    )
    assert _stored(klass).archived

    restored = assert_ok(client.post(f"/class/{klass.pk}/restore"))
    assert restored["archived"] is False
    assert not _stored(klass).archived


def test_an_archived_class_keeps_its_history_for_its_teacher_and_students(auth, teacher, student, klass):
    factories.finished_session(klass, {student: "present"})
    assert_ok(auth(teacher).post(f"/class/{klass.pk}/archive"))

    assert assert_ok(auth(teacher).get(f"/class/{klass.pk}"))["students"][0]["_id"] == str(student.pk)
    assert assert_ok(auth(student).get(f"/class/{klass.pk}/my-attendance"))["status"] == "present"


def test_archive_while_the_session_runs_is_409_and_changes_nothing(auth, teacher, klass):
    attendance_services.session_start(teacher=teacher, klass=klass)

    assert_error(auth(teacher).post(f"/class/{klass.pk}/archive"), 409, Messages.SESSION_RUNNING)

    assert not _stored(klass).archived


def test_starting_attendance_in_an_archived_class_is_409(auth, teacher, klass):
    assert_ok(auth(teacher).post(f"/class/{klass.pk}/archive"))

    response = auth(teacher).post("/attendance/start", {"classId": str(klass.pk)}, format="json")

    assert_error(response, 409, Messages.CLASS_ARCHIVED)
    assert not AttendanceSession.objects.exists()


@pytest.mark.parametrize("action", ["archive", "restore"])
def test_archive_and_restore_refusals_in_the_contract_order(api, auth, teacher, student, klass, action):
    other = factories.make_teacher()
    if action == "restore":
        assert_ok(auth(teacher).post(f"/class/{klass.pk}/archive"))
    before = _stored(klass).archived

    assert_error(api.post(f"/class/{klass.pk}/{action}"), 401, Messages.UNAUTHORIZED)
    assert_error(auth(student).post(f"/class/{klass.pk}/{action}"), 403, Messages.TEACHER_REQUIRED)
    assert_error(auth(teacher).post(f"/class/someid/{action}"), 404, Messages.CLASS_NOT_FOUND)
    assert_error(auth(other).post(f"/class/{klass.pk}/{action}"), 403, Messages.NOT_CLASS_TEACHER)
    assert _stored(klass).archived == before


# --- DELETE /class/:id --------------------------------------------------------------------


def test_delete_answers_an_empty_object_and_removes_the_class_and_its_history(auth, teacher, student, klass):
    factories.finished_session(klass, {student: "present"})

    assert assert_ok(auth(teacher).delete(f"/class/{klass.pk}")) == {}

    assert not Class.objects.exists()
    assert not Enrollment.objects.exists()
    assert not AttendanceSession.objects.exists()
    assert not AttendanceRecord.objects.exists()
    assert_error(auth(teacher).get(f"/class/{klass.pk}"), 404, Messages.CLASS_NOT_FOUND)
    assert_error(auth(teacher).delete(f"/class/{klass.pk}"), 404, Messages.CLASS_NOT_FOUND)


def test_delete_while_the_session_runs_is_409_and_changes_nothing(auth, teacher, student, klass):
    session = attendance_services.session_start(teacher=teacher, klass=klass)
    attendance_services.attendance_mark(session=session, student_id=str(student.pk), status="present", by=teacher)

    assert_error(auth(teacher).delete(f"/class/{klass.pk}"), 409, Messages.SESSION_RUNNING)

    assert Class.objects.filter(pk=klass.pk).exists()
    assert AttendanceRecord.objects.filter(session=session, student=student, status="present").exists()


def test_delete_refusals_in_the_contract_order(api, auth, teacher, student, klass):
    other = factories.make_teacher()

    assert_error(api.delete(f"/class/{klass.pk}"), 401, Messages.UNAUTHORIZED)
    assert_error(auth(student).delete(f"/class/{klass.pk}"), 403, Messages.TEACHER_REQUIRED)
    assert_error(auth(teacher).delete("/class/507f1f77bcf86cd799439011"), 404, Messages.CLASS_NOT_FOUND)
    assert_error(auth(other).delete(f"/class/{klass.pk}"), 403, Messages.NOT_CLASS_TEACHER)
    assert Class.objects.filter(pk=klass.pk).exists()


# --- POST /class/:id/leave ----------------------------------------------------------------


def test_a_student_leaves_and_the_class_is_no_longer_theirs(auth, teacher, student, klass):
    client = auth(student)

    assert assert_ok(client.post(f"/class/{klass.pk}/leave")) == {}

    assert not Enrollment.objects.filter(klass=klass, student=student).exists()
    assert assert_ok(auth(teacher).get(f"/class/{klass.pk}"))["students"] == []
    assert_error(client.get(f"/class/{klass.pk}"), 403, Messages.NOT_CLASS_TEACHER)
    assert_error(client.post(f"/class/{klass.pk}/leave"), 403, Messages.NOT_ENROLLED)


def test_leaving_while_the_session_runs_is_409_and_keeps_the_student(auth, teacher, student, klass):
    attendance_services.session_start(teacher=teacher, klass=klass)

    assert_error(auth(student).post(f"/class/{klass.pk}/leave"), 409, Messages.SESSION_RUNNING)

    assert Enrollment.objects.filter(klass=klass, student=student).exists()


def test_leave_refusals_in_the_contract_order(api, auth, teacher, student, klass):
    stranger = factories.make_student()

    assert_error(api.post(f"/class/{klass.pk}/leave"), 401, Messages.UNAUTHORIZED)
    assert_error(auth(teacher).post(f"/class/{klass.pk}/leave"), 403, Messages.STUDENT_REQUIRED)
    assert_error(auth(student).post("/class/someid/leave"), 404, Messages.CLASS_NOT_FOUND)
    assert_error(auth(stranger).post(f"/class/{klass.pk}/leave"), 403, Messages.NOT_ENROLLED)
    assert Enrollment.objects.filter(klass=klass, student=student).exists()
