"""Roster import: reading pasted lists and CSV files, enrolling in one go, refusing bad input whole."""

import pytest
from django.test import override_settings

from accounts.models import Role
from classes.models import Enrollment
from classes.roster_import import decode_roster, parse_roster
from core.errors import ApplicationError, Messages
from tests import factories

pytestmark = pytest.mark.django_db


def emails(text: str) -> list[str]:
    return [person.email for person in parse_roster(text)]


def refusal(text: str) -> str:
    with pytest.raises(ApplicationError) as caught:
        parse_roster(text)
    assert caught.value.status == 400
    return caught.value.message


# --- reading ------------------------------------------------------------------------------


def test_a_pasted_list_one_per_line_or_several_on_a_line():
    assert emails("ada@school.test\n\n  Bob@School.test \n") == ["ada@school.test", "bob@school.test"]
    assert emails("ada@school.test, bob@school.test;") == ["ada@school.test", "bob@school.test"]


def test_names_and_emails_in_either_order_and_any_separator():
    people = parse_roster("Ada Byron,ada@school.test\nbob@school.test;Bob Boole\n")
    assert [(p.line, p.email, p.name) for p in people] == [
        (1, "ada@school.test", "Ada Byron"),
        (2, "bob@school.test", "Bob Boole"),
    ]
    tabbed = parse_roster("ada@school.test\tAda Byron\nbob@school.test\tBob Boole")
    assert [p.name for p in tabbed] == ["Ada Byron", "Bob Boole"]
    semicolons = parse_roster("Byron, Ada;ada@school.test\nBoole, Bob;bob@school.test")
    assert [p.name for p in semicolons] == ["Byron, Ada", "Boole, Bob"]


def test_a_spreadsheet_export_with_a_header_row():
    text = '\ufeffStudent ID,Name,E-mail,Year\n17,"Byron, Ada",ada@school.test,9\n18,Bob Boole,BOB@school.test,9\n'
    people = parse_roster(text)
    assert [(p.line, p.email, p.name) for p in people] == [
        (2, "ada@school.test", "Byron, Ada"),
        (3, "bob@school.test", "Bob Boole"),
    ]


def test_a_header_without_an_email_column_is_skipped_and_rows_are_read_by_shape():
    assert emails("Who,Address\nAda,ada@school.test\n") == ["ada@school.test"]


def test_an_email_listed_twice_is_read_once_on_its_first_line():
    people = parse_roster("ada@school.test\nbob@school.test\nADA@school.test\n")
    assert [(p.line, p.email) for p in people] == [(1, "ada@school.test"), (2, "bob@school.test")]


def test_a_line_without_a_valid_email_refuses_the_whole_roster_with_its_number():
    assert refusal("ada@school.test\nBob Boole\n") == "Roster line 2: no email address"
    assert refusal("ada@school.test\nbob@@school\n") == "Roster line 2: “bob@@school” is not an email address"
    assert refusal("Name,Email\nAda,ada@school.test\nBob,\n") == "Roster line 3: no email address"


def test_malformed_csv_and_empty_rosters_are_refused():
    assert refusal('ada@school.test\n"bob@school.test\n') == "Roster line 2: malformed CSV"
    assert refusal("") == Messages.ROSTER_EMPTY
    assert refusal("Name,Email\n\n") == Messages.ROSTER_EMPTY


@override_settings(ROSTER_IMPORT_MAX_ROWS=3, ROSTER_IMPORT_MAX_BYTES=2048)
def test_a_huge_roster_is_refused():
    expected = "Roster too large: at most 3 rows and 2 KB"
    assert refusal("\n".join(f"s{n}@school.test" for n in range(4))) == expected
    assert refusal("a@school.test, b@school.test, c@school.test, d@school.test") == expected
    assert refusal("x" * 2049) == expected
    # A header row does not count against the rows.
    assert len(emails("email\n" + "\n".join(f"s{n}@school.test" for n in range(3)))) == 3
    with pytest.raises(ApplicationError, match="too large"):
        decode_roster(b"a" * 2049)


def test_an_upload_must_be_utf8_text():
    assert decode_roster("\ufeffada@school.test".encode()) == "ada@school.test"
    with pytest.raises(ApplicationError) as caught:
        decode_roster(b"\xff\xfe\x00a\x00@")
    assert caught.value.message == Messages.ROSTER_NOT_TEXT


# --- the API ------------------------------------------------------------------------------


def ok_data(response):
    assert response.status_code == 200, response.content
    return response.json()["data"]


def assert_error(response, status: int, message: str) -> None:
    assert response.status_code == status, response.content
    assert response.json() == {"success": False, "error": message}


def test_import_enrolls_known_students_and_reports_every_line(auth, teacher, django_capture_on_commit_callbacks):
    ada = factories.make_student(email="ada@school.test", name="Ada")
    bob = factories.make_student(email="bob@school.test", name="Bob")
    factories.make_teacher(email="grace@school.test")
    factories.make_student(email="gone@school.test", is_active=False)
    klass = factories.make_class(teacher=teacher, students=[bob])
    text = (
        "name,email\nAda,ADA@school.test\nBob,bob@school.test\nNew Kid,new@school.test\n"
        "Grace,grace@school.test\n,gone@school.test\n"
    )

    with django_capture_on_commit_callbacks(execute=True):
        data = ok_data(auth(teacher).post(f"/class/{klass.pk}/roster-import", {"csv": text}, format="json"))

    assert data == {
        "classId": str(klass.pk),
        "added": 1,
        "rows": [
            {"line": 2, "email": "ada@school.test", "name": "Ada", "result": "added", "studentId": str(ada.pk)},
            {
                "line": 3,
                "email": "bob@school.test",
                "name": "Bob",
                "result": "already_enrolled",
                "studentId": str(bob.pk),
            },
            {"line": 4, "email": "new@school.test", "name": "New Kid", "result": "unknown_email", "studentId": None},
            {"line": 5, "email": "grace@school.test", "name": "Grace", "result": "not_a_student", "studentId": None},
            {"line": 6, "email": "gone@school.test", "name": "", "result": "unknown_email", "studentId": None},
        ],
    }
    roster = set(Enrollment.objects.filter(klass=klass).values_list("student__email", flat=True))
    assert roster == {"ada@school.test", "bob@school.test"}


def test_a_bad_line_enrolls_nobody(auth, teacher):
    factories.make_student(email="ada@school.test")
    klass = factories.make_class(teacher=teacher)

    response = auth(teacher).post(
        f"/class/{klass.pk}/roster-import", {"csv": "ada@school.test\nnot-an-email@\n"}, format="json"
    )

    assert_error(response, 400, "Roster line 2: “not-an-email@” is not an email address")
    assert not Enrollment.objects.filter(klass=klass).exists()


def test_import_refusals_in_the_contract_order(auth, api, teacher, student):
    klass = factories.make_class(teacher=teacher)
    url = f"/class/{klass.pk}/roster-import"
    assert_error(api.post(url, {"csv": "a@school.test"}, format="json"), 401, Messages.UNAUTHORIZED)
    assert_error(auth(student).post(url, {"csv": "a@school.test"}, format="json"), 403, Messages.TEACHER_REQUIRED)
    for body in ({}, {"csv": 5}, {"csv": None}, {"csv": ["a@school.test"]}):
        assert_error(auth(teacher).post(url, body, format="json"), 400, Messages.INVALID_SCHEMA)
    assert_error(
        auth(teacher).post("/class/someid/roster-import", {"csv": "a@school.test"}, format="json"),
        404,
        Messages.CLASS_NOT_FOUND,
    )
    stranger = factories.make_teacher()
    assert_error(auth(stranger).post(url, {"csv": "a@school.test"}, format="json"), 403, Messages.NOT_CLASS_TEACHER)
    assert_error(auth(teacher).post(url, {"csv": "  "}, format="json"), 400, Messages.ROSTER_EMPTY)


def test_a_student_added_meanwhile_is_reported_already_enrolled(teacher):
    from classes.roster_import import RosterLine
    from classes.services import ImportResult, roster_import

    ada = factories.make_student(email="ada@school.test")
    klass = factories.make_class(teacher=teacher, students=[ada])
    rows = roster_import(klass=klass, people=[RosterLine(line=1, email="ada@school.test", name="")])
    assert [row.result for row in rows] == [ImportResult.ALREADY_ENROLLED]
    assert ada.role == Role.STUDENT


def test_addresses_copied_from_an_email_program():
    people = parse_roster("Ada Byron <ada@school.test>; bob@school.test\nCarl Gauss <carl@school.test>")
    assert [(p.email, p.name) for p in people] == [
        ("ada@school.test", ""),
        ("bob@school.test", ""),
        ("carl@school.test", "Carl Gauss"),
    ]


def _line(n: int, email: str):
    from classes.roster_import import RosterLine

    return RosterLine(line=n, email=email, name="")


def test_each_student_an_import_adds_is_announced_with_the_class_once_committed(
    teacher, django_capture_on_commit_callbacks
):
    from classes import events
    from classes.services import roster_import

    ada, bob = factories.make_student(email="ada@school.test"), factories.make_student(email="bob@school.test")
    klass = factories.make_class(teacher=teacher, students=[bob])
    announced = []

    def enrolled(sender, *, klass, student, **kwargs):
        announced.append((klass.pk, student.pk))

    events.student_enrolled.connect(enrolled)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            roster_import(klass=klass, people=[_line(1, "ada@school.test"), _line(2, "bob@school.test")])
    finally:
        events.student_enrolled.disconnect(enrolled)

    assert announced == [(klass.pk, ada.pk)]


def test_a_student_named_twice_is_enrolled_once(teacher):
    from classes.services import ImportResult, roster_import

    ada = factories.make_student(email="ada@school.test")
    klass = factories.make_class(teacher=teacher)

    rows = roster_import(klass=klass, people=[_line(1, "ada@school.test"), _line(2, "ada@school.test")])

    assert [row.result for row in rows] == [ImportResult.ADDED, ImportResult.ALREADY_ENROLLED]
    assert list(Enrollment.objects.filter(klass=klass).values_list("student_id", flat=True)) == [ada.pk]


def test_an_import_that_loses_a_race_with_another_add_reads_the_roster_again(teacher, monkeypatch):
    from classes.services import ImportResult, roster_import

    ada, bob = factories.make_student(email="ada@school.test"), factories.make_student(email="bob@school.test")
    klass = factories.make_class(teacher=teacher, students=[ada])
    real_filter, reads = Enrollment.objects.filter, []

    def first_read_before_the_other_add(**kwargs):
        reads.append(kwargs)
        return Enrollment.objects.none() if len(reads) == 1 else real_filter(**kwargs)

    monkeypatch.setattr(Enrollment.objects, "filter", first_read_before_the_other_add)
    rows = roster_import(klass=klass, people=[_line(1, "ada@school.test"), _line(2, "bob@school.test")])
    monkeypatch.undo()

    assert [row.result for row in rows] == [ImportResult.ALREADY_ENROLLED, ImportResult.ADDED]
    assert sorted(Enrollment.objects.filter(klass=klass).values_list("student_id", flat=True)) == [ada.pk, bob.pk]
