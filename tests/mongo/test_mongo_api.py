"""The REST contract on MongoDB: ObjectId strings in, ObjectId strings out, anything else is 404."""

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from attendance import services
from attendance.models import AttendanceSession
from core.errors import Messages
from tests import factories
from tests.mongo.helpers import UNKNOWN_IDS, is_object_id_string

pytestmark = [pytest.mark.mongodb, pytest.mark.django_db(transaction=True)]


def client_for(user: User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=factories.token_for(user))
    return client


def data(response, status: int):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["success"] is True, body
    return body["data"]


def error(response, status: int, message: str) -> None:
    assert response.status_code == status, response.content
    assert response.json() == {"success": False, "error": message}


def test_signup_login_and_me_speak_object_id_strings():
    api = APIClient()
    user = data(
        api.post(
            "/auth/signup",
            {"name": "Ada", "email": "ada@school.test", "password": "secret-pass", "role": "teacher"},
            format="json",
        ),
        201,
    )
    assert is_object_id_string(user["_id"])
    token = data(api.post("/auth/login", {"email": "ADA@school.test", "password": "secret-pass"}, format="json"), 200)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token['token']}")
    assert data(api.get("/auth/me"), 200) == user
    error(
        APIClient().post(
            "/auth/signup",
            {"name": "Copy", "email": "Ada@School.Test", "password": "secret-pass", "role": "student"},
            format="json",
        ),
        400,
        Messages.EMAIL_EXISTS,
    )


def test_a_class_from_creation_to_my_attendance():
    teacher, alan, grace = factories.make_teacher(), factories.make_student(), factories.make_student()
    api = client_for(teacher)

    klass = data(api.post("/class", {"className": "Maths"}, format="json"), 201)
    assert is_object_id_string(klass["_id"])
    assert klass["teacherId"] == str(teacher.pk)
    assert klass["studentIds"] == []

    for student in (alan, grace, alan):
        added = data(api.post(f"/class/{klass['_id']}/add-student", {"studentId": str(student.pk)}, format="json"), 200)
    assert added["studentIds"] == [str(alan.pk), str(grace.pk)]

    detail = data(client_for(alan).get(f"/class/{klass['_id']}"), 200)
    assert sorted(s["_id"] for s in detail["students"]) == sorted([str(alan.pk), str(grace.pk)])

    started = data(api.post("/attendance/start", {"classId": klass["_id"]}, format="json"), 200)
    again = data(api.post("/attendance/start", {"classId": klass["_id"]}, format="json"), 200)
    assert started == again
    assert started["classId"] == klass["_id"]
    assert started["startedAt"].endswith("Z")

    assert data(client_for(alan).get(f"/class/{klass['_id']}/my-attendance"), 200) == {
        "classId": klass["_id"],
        "status": None,
    }
    session = AttendanceSession.objects.get(klass_id=klass["_id"], is_active=True)
    services.attendance_mark(session=session, student_id=str(alan.pk), status="present", by=teacher)
    services.session_finish(session=session)
    assert data(client_for(alan).get(f"/class/{klass['_id']}/my-attendance"), 200)["status"] == "present"
    assert data(client_for(grace).get(f"/class/{klass['_id']}/my-attendance"), 200)["status"] == "absent"


def test_students_list_has_string_ids():
    teacher, student = factories.make_teacher(), factories.make_student(name="Grace")
    students = data(client_for(teacher).get("/students"), 200)
    assert students == [{"_id": str(student.pk), "name": "Grace", "email": student.email}]


@pytest.mark.parametrize("raw", UNKNOWN_IDS)
def test_ids_that_name_nothing_are_404_everywhere(raw):
    teacher, student = factories.make_teacher(), factories.make_student()
    klass = factories.make_class(teacher=teacher, students=[student])
    api, body = client_for(teacher), {"studentId": str(student.pk)}
    error(api.get(f"/class/{raw}"), 404, Messages.CLASS_NOT_FOUND)
    error(api.post(f"/class/{raw}/add-student", body, format="json"), 404, Messages.CLASS_NOT_FOUND)
    error(api.post("/attendance/start", {"classId": raw}, format="json"), 404, Messages.CLASS_NOT_FOUND)
    error(client_for(student).get(f"/class/{raw}/my-attendance"), 404, Messages.CLASS_NOT_FOUND)
    body = {"studentId": raw}
    error(api.post(f"/class/{klass.pk}/add-student", body, format="json"), 404, Messages.STUDENT_NOT_FOUND)


@pytest.mark.parametrize("user_id", ["someid", "507f1f77bcf86cd799439011", "1"])
def test_a_token_naming_no_user_is_401(user_id):
    from rest_framework_simplejwt.tokens import AccessToken

    token = AccessToken()
    token["userId"] = user_id
    token["role"] = "teacher"
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=str(token))
    error(api.get("/auth/me"), 401, Messages.UNAUTHORIZED)
