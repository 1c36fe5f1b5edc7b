"""The class routes of the REST contract, their check order, and ids that name nothing."""

import json
import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from classes.models import Class, Enrollment
from core.errors import Messages
from tests import factories

pytestmark = pytest.mark.django_db

# Ids that cannot name a row on any backend (or name none here): always 404, never 400 or 500.
BAD_PATH_IDS = [
    "someid",
    "507f1f77bcf86cd799439011",
    "-1",
    "0",
    "99999999999999999999999",
    "1.5",
    "1e3",
    "%20",
    "%00",
    "null",
    "undefined",
    "%7B%22%24ne%22%3Anull%7D",
    "ü",
    "x" * 300,
]
BAD_BODY_IDS = [
    "someid",
    "507f1f77bcf86cd799439011",
    "-1",
    "0",
    "99999999999999999999999",
    "../x",
    -1,
    0,
    99999999999999999999999,
    "1; DROP TABLE accounts_user",
]
# Values of the wrong type where an id string is expected: a validation failure, 400.
WRONG_TYPE_IDS = [{"$ne": None}, {"$gt": ""}, ["1"], None, True, False, 1.5, "", "   ", "x" * 65]


def assert_error(response, status: int, message: str) -> None:
    assert response.status_code == status, response.content
    assert response.json() == {"success": False, "error": message}


def assert_ok(response, status: int = 200):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["success"] is True
    assert set(body) == {"success", "data"}
    return body["data"]


@pytest.fixture
def klass(teacher, student):
    return factories.make_class(teacher=teacher, students=[student], name="Maths")


# --- POST /class --------------------------------------------------------------------------


def test_create_class_returns_201_with_string_ids_and_empty_roster(auth, teacher):
    data = assert_ok(auth(teacher).post("/class", {"className": "Physics 7B"}, format="json"), 201)

    assert data == {
        "_id": data["_id"],
        "className": "Physics 7B",
        "teacherId": str(teacher.pk),
        "studentIds": [],
    }
    assert isinstance(data["_id"], str)
    assert Class.objects.get(pk=data["_id"]).teacher == teacher


def test_create_class_with_bearer_header(auth, teacher):
    assert auth(teacher, bearer=True).post("/class", {"className": "Art"}, format="json").status_code == 201


@pytest.mark.parametrize("name", ["Mathématiques 7ᵉ", "数学", "Art 🎨"])
def test_create_class_unicode_name_round_trips(auth, teacher, name):
    client = auth(teacher)
    created = assert_ok(client.post("/class", {"className": name}, format="json"), 201)

    assert created["className"] == name
    assert assert_ok(client.get(f"/class/{created['_id']}"))["className"] == name


def test_create_class_without_token_is_401(api):
    assert_error(api.post("/class", {"className": "X"}, format="json"), 401, Messages.UNAUTHORIZED)


def test_create_class_as_student_is_403(auth, student):
    response = auth(student).post("/class", {"className": "X"}, format="json")

    assert_error(response, 403, Messages.TEACHER_REQUIRED)
    assert not Class.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"className": ""},
        {"className": "   "},
        {"className": 5},
        {"className": True},
        {"className": None},
        {"className": {"$ne": None}},
        {"className": ["Maths"]},
        {"className": "x" * 10_000},
        {"name": "Maths"},
    ],
    ids=repr,
)
def test_create_class_invalid_body_is_400(auth, teacher, body):
    assert_error(auth(teacher).post("/class", body, format="json"), 400, Messages.INVALID_SCHEMA)
    assert not Class.objects.exists()


@pytest.mark.parametrize("raw", ["{oops", "[]", '"Maths"', "7", "null"], ids=repr)
def test_create_class_body_not_a_json_object_is_400(auth, teacher, raw):
    response = auth(teacher).generic("POST", "/class", raw, content_type="application/json")

    assert_error(response, 400, Messages.INVALID_SCHEMA)


def test_create_class_ignores_unknown_fields_and_cannot_pick_the_teacher(auth, teacher):
    other = factories.make_teacher()

    data = assert_ok(
        auth(teacher).post(
            "/class",
            {"className": "Maths", "teacherId": str(other.pk), "studentIds": ["1", "2"], "_id": "42"},
            format="json",
        ),
        201,
    )

    assert data["teacherId"] == str(teacher.pk)
    assert data["studentIds"] == []
    assert not Enrollment.objects.exists()


# --- POST /class/:id/add-student ------------------------------------------------------------


def test_add_student_returns_the_class_with_string_student_ids(auth, teacher, klass, student):
    newcomer = factories.make_student()

    data = assert_ok(
        auth(teacher).post(f"/class/{klass.pk}/add-student", {"studentId": str(newcomer.pk)}, format="json")
    )

    assert data == {
        "_id": str(klass.pk),
        "className": "Maths",
        "teacherId": str(teacher.pk),
        "studentIds": [str(student.pk), str(newcomer.pk)],
    }
    assert all(isinstance(pk, str) for pk in data["studentIds"])


def test_add_student_twice_keeps_one_entry(auth, teacher, klass):
    newcomer = factories.make_student()
    client = auth(teacher)
    url = f"/class/{klass.pk}/add-student"

    first = assert_ok(client.post(url, {"studentId": str(newcomer.pk)}, format="json"))
    second = assert_ok(client.post(url, {"studentId": str(newcomer.pk)}, format="json"))

    assert first == second
    assert second["studentIds"].count(str(newcomer.pk)) == 1
    assert Enrollment.objects.filter(klass=klass, student=newcomer).count() == 1


def test_add_student_accepts_a_numeric_id_as_its_text(auth, teacher, klass):
    newcomer = factories.make_student()

    data = assert_ok(auth(teacher).post(f"/class/{klass.pk}/add-student", {"studentId": newcomer.pk}, format="json"))

    assert str(newcomer.pk) in data["studentIds"]


def test_add_student_naming_a_teacher_is_404_student_not_found(auth, teacher, klass):
    other_teacher = factories.make_teacher()

    response = auth(teacher).post(f"/class/{klass.pk}/add-student", {"studentId": str(other_teacher.pk)}, format="json")

    assert_error(response, 404, Messages.STUDENT_NOT_FOUND)
    assert not Enrollment.objects.filter(student=other_teacher).exists()


def test_add_student_naming_the_teacher_themself_is_404(auth, teacher, klass):
    response = auth(teacher).post(f"/class/{klass.pk}/add-student", {"studentId": str(teacher.pk)}, format="json")

    assert_error(response, 404, Messages.STUDENT_NOT_FOUND)


def test_add_student_naming_a_deleted_student_is_404(auth, teacher, klass):
    gone = factories.make_student()
    gone_id = str(gone.pk)
    gone.delete()

    response = auth(teacher).post(f"/class/{klass.pk}/add-student", {"studentId": gone_id}, format="json")

    assert_error(response, 404, Messages.STUDENT_NOT_FOUND)


def test_add_student_naming_a_deactivated_student_is_404(auth, teacher, klass):
    # GET /students does not list deactivated accounts, so they cannot be enrolled either.
    inactive = factories.make_student(is_active=False)

    response = auth(teacher).post(f"/class/{klass.pk}/add-student", {"studentId": str(inactive.pk)}, format="json")

    assert_error(response, 404, Messages.STUDENT_NOT_FOUND)
    assert not Enrollment.objects.filter(student=inactive).exists()


@pytest.mark.parametrize("student_id", BAD_BODY_IDS, ids=repr)
def test_add_student_unknown_or_malformed_student_id_is_404(auth, teacher, klass, student_id):
    response = auth(teacher).post(f"/class/{klass.pk}/add-student", {"studentId": student_id}, format="json")

    assert_error(response, 404, Messages.STUDENT_NOT_FOUND)


@pytest.mark.parametrize("student_id", WRONG_TYPE_IDS, ids=repr)
def test_add_student_id_of_wrong_type_is_400_not_404(auth, teacher, klass, student_id):
    # An operator object, list, boolean or empty value is not an id string at all: a
    # validation failure (400), unlike a well-typed id that names nothing (404).
    response = auth(teacher).post(f"/class/{klass.pk}/add-student", {"studentId": student_id}, format="json")

    assert_error(response, 400, Messages.INVALID_SCHEMA)
    assert Enrollment.objects.count() == 1


def test_add_student_missing_body_field_is_400(auth, teacher, klass):
    response = auth(teacher).post(f"/class/{klass.pk}/add-student", {"student": "1"}, format="json")

    assert_error(response, 400, Messages.INVALID_SCHEMA)


@pytest.mark.parametrize("class_id", BAD_PATH_IDS, ids=repr)
def test_add_student_unknown_or_malformed_class_id_is_404(auth, teacher, student, class_id):
    response = auth(teacher).post(f"/class/{class_id}/add-student", {"studentId": str(student.pk)}, format="json")

    assert_error(response, 404, Messages.CLASS_NOT_FOUND)


# --- GET /class/:id -----------------------------------------------------------------------


def test_get_class_as_its_teacher(auth, teacher, klass, student):
    data = assert_ok(auth(teacher).get(f"/class/{klass.pk}"))

    assert data == {
        "_id": str(klass.pk),
        "className": "Maths",
        "teacherId": str(teacher.pk),
        "students": [{"_id": str(student.pk), "name": student.name, "email": student.email}],
    }


def test_get_class_as_an_enrolled_student(auth, klass, student):
    data = assert_ok(auth(student).get(f"/class/{klass.pk}"))

    assert data["_id"] == str(klass.pk)
    assert data["students"] == [{"_id": str(student.pk), "name": student.name, "email": student.email}]


def test_get_class_lists_students_without_passwords_or_roles(auth, teacher, klass):
    data = assert_ok(auth(teacher).get(f"/class/{klass.pk}"))

    for person in data["students"]:
        assert set(person) == {"_id", "name", "email"}


def test_get_class_as_another_teacher_is_403(auth, klass):
    response = auth(factories.make_teacher()).get(f"/class/{klass.pk}")

    assert_error(response, 403, Messages.NOT_CLASS_TEACHER)


def test_get_class_as_a_student_not_enrolled_is_403(auth, klass):
    response = auth(factories.make_student()).get(f"/class/{klass.pk}")

    assert_error(response, 403, Messages.NOT_CLASS_TEACHER)


def test_get_class_without_token_is_401(api, klass):
    assert_error(api.get(f"/class/{klass.pk}"), 401, Messages.UNAUTHORIZED)


@pytest.mark.parametrize("class_id", BAD_PATH_IDS, ids=repr)
def test_get_class_unknown_or_malformed_id_is_404(auth, teacher, class_id):
    assert_error(auth(teacher).get(f"/class/{class_id}"), 404, Messages.CLASS_NOT_FOUND)


@pytest.mark.parametrize("path", ["/class/../x", "/class/..%2Fx", "/class/a/b", "/class/..%2F..%2Fstudents"])
def test_ids_with_slashes_match_no_route_and_are_404_in_the_envelope(auth, teacher, path):
    assert_error(auth(teacher).get(path), 404, Messages.NOT_FOUND)


def test_get_deleted_class_is_404(auth, teacher, klass):
    class_id = klass.pk
    klass.delete()

    assert_error(auth(teacher).get(f"/class/{class_id}"), 404, Messages.CLASS_NOT_FOUND)


# --- GET /students ------------------------------------------------------------------------


def test_students_lists_every_student_and_no_teacher(auth, teacher, student):
    other = factories.make_student(name="Zed Last")

    data = assert_ok(auth(teacher).get("/students"))

    assert {"_id": str(student.pk), "name": student.name, "email": student.email} in data
    assert {"_id": str(other.pk), "name": other.name, "email": other.email} in data
    assert str(teacher.pk) not in {person["_id"] for person in data}
    assert len(data) == 2
    for person in data:
        assert set(person) == {"_id", "name", "email"}
        assert isinstance(person["_id"], str)


def test_students_is_an_empty_list_when_there_are_none(auth, teacher):
    assert assert_ok(auth(teacher).get("/students")) == []


def test_students_as_student_is_403(auth, student):
    assert_error(auth(student).get("/students"), 403, Messages.TEACHER_REQUIRED)


def test_students_without_token_is_401(api):
    assert_error(api.get("/students"), 401, Messages.UNAUTHORIZED)


# --- the contract's check order -------------------------------------------------------------


def test_order_no_token_comes_before_everything(api):
    # Bad body, unknown class, unknown student: still the token is reported first.
    response = api.generic("POST", "/class/someid/add-student", "{oops", content_type="application/json")

    assert_error(response, 401, Messages.UNAUTHORIZED)


def test_order_bad_token_comes_before_everything(api):
    api.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    assert_error(api.post("/class", {"className": 5}, format="json"), 401, Messages.UNAUTHORIZED)


def test_order_wrong_role_before_bad_body(auth, student):
    assert_error(auth(student).post("/class", {"className": 5}, format="json"), 403, Messages.TEACHER_REQUIRED)


def test_order_wrong_role_before_unparseable_body(auth, student):
    response = auth(student).generic("POST", "/class", "{oops", content_type="application/json")

    assert_error(response, 403, Messages.TEACHER_REQUIRED)


def test_order_wrong_role_before_bad_body_and_unknown_class(auth, student):
    response = auth(student).post("/class/someid/add-student", {"studentId": None}, format="json")

    assert_error(response, 403, Messages.TEACHER_REQUIRED)


def test_order_bad_body_before_unknown_class(auth, teacher):
    response = auth(teacher).post("/class/someid/add-student", {"studentId": {"$ne": None}}, format="json")

    assert_error(response, 400, Messages.INVALID_SCHEMA)


def test_order_unparseable_body_before_unknown_class(auth, teacher):
    response = auth(teacher).generic("POST", "/class/999999/add-student", "{oops", content_type="application/json")

    assert_error(response, 400, Messages.INVALID_SCHEMA)


def test_order_unknown_class_before_unknown_student(auth, teacher):
    response = auth(teacher).post("/class/999999/add-student", {"studentId": "999999"}, format="json")

    assert_error(response, 404, Messages.CLASS_NOT_FOUND)


def test_order_not_owner_before_unknown_student(auth, klass):
    response = auth(factories.make_teacher()).post(
        f"/class/{klass.pk}/add-student", {"studentId": "999999"}, format="json"
    )

    assert_error(response, 403, Messages.NOT_CLASS_TEACHER)


def test_order_not_owner_cannot_enroll_a_real_student(auth, klass):
    newcomer = factories.make_student()

    response = auth(factories.make_teacher()).post(
        f"/class/{klass.pk}/add-student", {"studentId": str(newcomer.pk)}, format="json"
    )

    assert_error(response, 403, Messages.NOT_CLASS_TEACHER)
    assert not Enrollment.objects.filter(student=newcomer).exists()


def test_order_owner_with_unknown_student_is_404(auth, teacher, klass):
    response = auth(teacher).post(f"/class/{klass.pk}/add-student", {"studentId": "999999"}, format="json")

    assert_error(response, 404, Messages.STUDENT_NOT_FOUND)


# --- wrong methods --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/class/1"),
        ("POST", "/class/1"),
        ("GET", "/class/1/archive"),
        ("DELETE", "/class/1/restore"),
        ("PUT", "/class/1/archive"),
        ("GET", "/class"),
        ("GET", "/class/1/add-student"),
        ("POST", "/students"),
    ],
)
def test_wrong_method_is_405_in_the_envelope(auth, teacher, method, path):
    response = auth(teacher).generic(method, path, json.dumps({}), content_type="application/json")

    assert_error(response, 405, Messages.METHOD_NOT_ALLOWED)


def test_wrong_method_without_token_is_401_first(api):
    assert_error(api.delete("/class/1"), 401, Messages.UNAUTHORIZED)


def test_unauthenticated_client_sees_no_class_data(klass):
    response = APIClient().get(f"/class/{klass.pk}")

    assert "Maths" not in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_concurrent_adds_of_one_student_keep_one_entry():
    teacher = factories.make_teacher()
    klass = factories.make_class(teacher=teacher)
    newcomer = factories.make_student()
    token = factories.token_for(teacher)
    barrier = threading.Barrier(6)
    results: list = [None] * 6

    def run(i: int) -> None:
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=token)
            barrier.wait(timeout=10)
            response = client.post(f"/class/{klass.pk}/add-student", {"studentId": str(newcomer.pk)}, format="json")
            results[i] = (response.status_code, response.json())
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert [status for status, _ in results] == [200] * 6, results
    assert all(body["data"]["studentIds"] == [str(newcomer.pk)] for _, body in results)
    assert Enrollment.objects.filter(klass=klass, student=newcomer).count() == 1
