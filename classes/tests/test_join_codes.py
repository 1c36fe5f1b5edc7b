"""Join codes: the teacher's routes, a student joining by code, wrong codes rate-limited."""

import pytest
from django.test import override_settings

from classes import services
from classes.models import Enrollment, JoinCode
from classes.services import JOIN_CODE_ALPHABET, JOIN_CODE_LENGTH
from core.errors import Messages
from tests import factories

pytestmark = pytest.mark.django_db


def assert_error(response, status: int, message: str) -> None:
    assert response.status_code == status, response.content
    assert response.json() == {"success": False, "error": message}


def ok_data(response, status: int = 200):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["success"] is True
    return body["data"]


@pytest.fixture
def klass(teacher):
    return factories.make_class(teacher=teacher, name="Chemistry")


def test_a_teacher_gets_an_eight_character_code_from_the_unambiguous_alphabet(auth, teacher, klass):
    data = ok_data(auth(teacher).post(f"/class/{klass.pk}/join-code"))

    assert set(data) == {"code"}
    assert len(data["code"]) == JOIN_CODE_LENGTH
    assert set(data["code"]) <= set(JOIN_CODE_ALPHABET)
    assert not set(JOIN_CODE_ALPHABET) & set("0O1IL5S8B")
    assert ok_data(auth(teacher).get(f"/class/{klass.pk}/join-code")) == {"code": data["code"]}


def test_a_new_code_replaces_the_old_one(auth, teacher, klass, student):
    old = ok_data(auth(teacher).post(f"/class/{klass.pk}/join-code"))["code"]
    new = ok_data(auth(teacher).post(f"/class/{klass.pk}/join-code"))["code"]

    assert new != old
    assert_error(auth(student).post("/class/join", {"code": old}, format="json"), 404, Messages.INVALID_JOIN_CODE)
    ok_data(auth(student).post("/class/join", {"code": new}, format="json"))


def test_delete_turns_joining_off(auth, teacher, klass, student):
    code = ok_data(auth(teacher).post(f"/class/{klass.pk}/join-code"))["code"]

    assert ok_data(auth(teacher).delete(f"/class/{klass.pk}/join-code")) == {}

    assert ok_data(auth(teacher).get(f"/class/{klass.pk}/join-code")) == {"code": None}
    assert_error(auth(student).post("/class/join", {"code": code}, format="json"), 404, Messages.INVALID_JOIN_CODE)
    assert not Enrollment.objects.filter(klass=klass).exists()


def test_only_the_owning_teacher_manages_the_code(auth, klass, student):
    stranger = factories.make_teacher()
    for method in ("get", "post", "delete"):
        assert_error(getattr(auth(stranger), method)(f"/class/{klass.pk}/join-code"), 403, Messages.NOT_CLASS_TEACHER)
        assert_error(getattr(auth(student), method)(f"/class/{klass.pk}/join-code"), 403, Messages.TEACHER_REQUIRED)
        assert_error(getattr(auth(stranger), method)("/class/someid/join-code"), 404, Messages.CLASS_NOT_FOUND)
    assert not JoinCode.objects.exists()


def test_a_student_joins_by_code_and_gets_the_class_as_add_student_returns_it(auth, teacher, klass, student, api):
    code = services.join_code_set(klass=klass).code

    data = ok_data(auth(student).post("/class/join", {"code": code}, format="json"))

    assert data == {
        "_id": str(klass.pk),
        "className": "Chemistry",
        "teacherId": str(teacher.pk),
        "studentIds": [str(student.pk)],
    }
    # Joining twice is not an error and keeps one entry.
    again = ok_data(auth(student).post("/class/join", {"code": code.lower()}, format="json"))
    assert again["studentIds"] == [str(student.pk)]
    assert Enrollment.objects.filter(klass=klass, student=student).count() == 1


def test_a_code_typed_with_spaces_dashes_or_lower_case_works(auth, klass, student):
    code = services.join_code_set(klass=klass).code
    other = factories.make_student()
    for who, typed in ((student, f" {code[:4].lower()}-{code[4:]} "), (other, f"{code[:4]} {code[4:].lower()}")):
        ok_data(auth(who).post("/class/join", {"code": typed}, format="json"))

        assert Enrollment.objects.filter(klass=klass, student=who).exists()


def test_join_refusals_in_the_contract_order(auth, api, teacher, klass, student):
    code = services.join_code_set(klass=klass).code
    assert_error(api.post("/class/join", {"code": code}, format="json"), 401, Messages.UNAUTHORIZED)
    assert_error(auth(teacher).post("/class/join", {"code": code}, format="json"), 403, Messages.STUDENT_REQUIRED)
    for body in ({}, {"code": 12345678}, {"code": None}, {"code": ["x"]}, {"code": "x" * 65}):
        assert_error(auth(student).post("/class/join", body, format="json"), 400, Messages.INVALID_SCHEMA)
    for wrong in ("", "AAAAAAAA", "someid", code + "X"):
        assert_error(auth(student).post("/class/join", {"code": wrong}, format="json"), 404, Messages.INVALID_JOIN_CODE)
    assert not Enrollment.objects.exists()


def test_get_on_class_join_is_a_class_that_does_not_exist(auth, teacher):
    assert_error(auth(teacher).get("/class/join"), 404, Messages.CLASS_NOT_FOUND)


@override_settings(JOIN_FAILURE_LIMIT=3, JOIN_CLIENT_FAILURE_LIMIT=100)
def test_wrong_codes_guessed_repeatedly_are_refused_with_429_even_the_right_one(auth, klass, student):
    code = services.join_code_set(klass=klass).code
    client = auth(student)
    for _ in range(3):
        assert_error(client.post("/class/join", {"code": "WRONGWRO"}, format="json"), 404, Messages.INVALID_JOIN_CODE)

    assert_error(client.post("/class/join", {"code": code}, format="json"), 429, Messages.TOO_MANY_JOIN_ATTEMPTS)
    assert not Enrollment.objects.filter(klass=klass).exists()
    # Another student is not locked out by this one's guesses.
    other = factories.make_student()
    ok_data(auth(other).post("/class/join", {"code": code}, format="json", REMOTE_ADDR="10.0.0.9"))


@override_settings(JOIN_FAILURE_LIMIT=100, JOIN_CLIENT_FAILURE_LIMIT=4)
def test_wrong_codes_from_one_client_over_many_accounts_are_refused(auth, klass):
    code = services.join_code_set(klass=klass).code
    for _ in range(4):
        response = auth(factories.make_student()).post(
            "/class/join", {"code": "WRONGWRO"}, format="json", REMOTE_ADDR="10.1.1.1"
        )
        assert_error(response, 404, Messages.INVALID_JOIN_CODE)

    late = factories.make_student()
    response = auth(late).post("/class/join", {"code": code}, format="json", REMOTE_ADDR="10.1.1.1")
    assert_error(response, 429, Messages.TOO_MANY_JOIN_ATTEMPTS)
    ok_data(auth(late).post("/class/join", {"code": code}, format="json", REMOTE_ADDR="10.2.2.2"))


@override_settings(JOIN_FAILURE_LIMIT=2)
def test_right_codes_are_never_counted(auth, klass, student):
    code = services.join_code_set(klass=klass).code
    for _ in range(5):
        ok_data(auth(student).post("/class/join", {"code": code}, format="json"))


def test_joining_announces_the_enrollment(auth, klass, student, django_capture_on_commit_callbacks):
    from classes import events

    heard = []

    def receiver(sender, klass, student, **kwargs):
        heard.append((klass.pk, student.pk))

    events.student_enrolled.connect(receiver)
    try:
        code = services.join_code_set(klass=klass).code
        with django_capture_on_commit_callbacks(execute=True):
            ok_data(auth(student).post("/class/join", {"code": code}, format="json"))
            ok_data(auth(student).post("/class/join", {"code": code}, format="json"))
    finally:
        events.student_enrolled.disconnect(receiver)

    assert heard == [(klass.pk, student.pk)]


def test_the_code_of_an_archived_class_does_not_work_until_it_is_restored(auth, teacher, klass, student):
    code = services.join_code_set(klass=klass).code
    services.class_archive(klass=klass)

    assert_error(auth(student).post("/class/join", {"code": code}, format="json"), 404, Messages.INVALID_JOIN_CODE)

    services.class_restore(klass=klass)
    ok_data(auth(student).post("/class/join", {"code": code}, format="json"))
