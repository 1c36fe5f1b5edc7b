"""Reads on sessions: whose running sessions a sender's frames are about, summaries, catching up."""

from datetime import timedelta
from types import SimpleNamespace

import pytest

from attendance import selectors, services
from attendance.models import AttendanceSession
from core.errors import ApplicationError, Messages
from tests.factories import make_class, make_student, make_teacher


@pytest.fixture
def school(db):
    """A teacher with two classes, a student in both, and an unrelated class; every session running."""
    teacher, student = make_teacher(), make_student()
    first = make_class(teacher=teacher, students=[student], name="First")
    second = make_class(teacher=teacher, students=[student], name="Second")
    elsewhere = make_class(students=[make_student()], name="Elsewhere")
    sessions = {k.class_name: services.session_start(teacher=k.teacher, klass=k) for k in (first, second, elsewhere)}
    # `second` started earlier than `first`: the list is in the order the sessions started.
    AttendanceSession.objects.filter(pk=sessions["Second"].pk).update(
        started_at=sessions["First"].started_at - timedelta(minutes=5)
    )
    return SimpleNamespace(teacher=teacher, student=student, first=first, second=second, sessions=sessions)


def pks(sessions):
    return [session.pk for session in sessions]


def refused(call) -> tuple[str, int]:
    with pytest.raises(ApplicationError) as error:
        call()
    return error.value.message, error.value.status


def test_a_teacher_and_a_student_see_the_running_sessions_of_their_classes_in_start_order(school):
    expected = [school.sessions["Second"].pk, school.sessions["First"].pk]

    assert pks(selectors.sessions_active_for(user=school.teacher)) == expected
    assert pks(selectors.sessions_active_for(user=school.student)) == expected
    assert selectors.sessions_active_for(user=make_teacher()) == []
    assert selectors.sessions_active_for(user=make_student()) == []


def test_a_finished_session_is_running_for_nobody(school):
    services.session_finish(session=school.sessions["First"])

    for user in (school.teacher, school.student):
        assert pks(selectors.sessions_active_for(user=user)) == [school.sessions["Second"].pk]


def test_a_sender_in_one_running_session_needs_no_class_id(school):
    services.session_finish(session=school.sessions["Second"])

    for user in (school.teacher, school.student):
        assert selectors.session_for_sender(user=user).pk == school.sessions["First"].pk


def test_a_sender_in_two_running_sessions_must_name_the_class(school):
    for user in (school.teacher, school.student):
        assert refused(lambda user=user: selectors.session_for_sender(user=user)) == (
            Messages.WS_CLASS_ID_REQUIRED,
            400,
        )
        for klass in (school.first, school.second):
            picked = selectors.session_for_sender(user=user, class_id=str(klass.pk))
            assert picked.pk == school.sessions[klass.class_name].pk


@pytest.mark.parametrize("class_id", ["elsewhere", "not-an-id", "", 0])
def test_a_class_id_naming_none_of_the_senders_running_sessions_is_no_session(school, class_id):
    if class_id == "elsewhere":
        class_id = str(school.sessions["Elsewhere"].klass_id)

    for user in (school.teacher, school.student):
        assert refused(lambda user=user: selectors.session_for_sender(user=user, class_id=class_id)) == (
            Messages.WS_NO_SESSION,
            404,
        )


def test_a_sender_without_a_running_session_is_no_session(school):
    for name in ("First", "Second"):
        services.session_finish(session=school.sessions[name])

    for user in (school.teacher, school.student):
        assert refused(lambda user=user: selectors.session_for_sender(user=user)) == (Messages.WS_NO_SESSION, 404)


def test_a_summary_is_of_its_own_session_and_a_finished_one_has_none(school):
    first, second = school.sessions["First"], school.sessions["Second"]
    services.attendance_mark(session=first, student_id=str(school.student.pk), status="late", by=school.teacher)

    for session, counted in ((first, (1, 1)), (second, (0, 0))):
        summary, seq = selectors.session_summary_at(session=session)
        assert (summary["total"], seq) == counted
    services.session_finish(session=second)
    assert refused(lambda: selectors.session_summary_at(session=second)) == (Messages.WS_NO_SESSION, 404)


def test_a_summary_read_while_marks_never_stop_gives_a_version_its_counts_hold(school, monkeypatch):
    versions = iter(range(1, 100))
    monkeypatch.setattr(selectors, "session_version", lambda *, session: next(versions))

    _, seq = selectors.session_summary_at(session=school.sessions["First"])

    # Versions 1..6 were read: the counts of the last pass were read after version 5 was.
    assert seq == selectors.SUMMARY_PASSES


def test_catching_up_gives_this_sessions_changes_of_enrolled_students_only(school):
    teacher, student = school.teacher, school.student
    services.attendance_mark(session=school.sessions["Second"], student_id=str(student.pk), status="late", by=teacher)
    services.session_finish(session=school.sessions["Second"])
    newcomer, leaver = make_student(), make_student()
    for other in (newcomer, leaver):
        school.first.enrollments.create(student=other)
    session = school.sessions["First"]
    for who, status in ((student, "present"), (newcomer, "absent"), (leaver, "excused")):
        services.attendance_mark(session=session, student_id=str(who.pk), status=status, by=teacher)
    school.first.enrollments.filter(student=leaver).delete()

    assert selectors.session_changes(session=session, since=0) == {
        str(student.pk): "present",
        str(newcomer.pk): "absent",
    }
    assert selectors.session_changes(session=session, since=1) == {str(newcomer.pk): "absent"}
    assert selectors.session_changes(session=session, since=0, student=student) == {str(student.pk): "present"}


def test_running_sessions_come_with_their_class(school, django_assert_num_queries):
    sessions = selectors.sessions_active_for(user=school.teacher)

    # The consumer reads each session's class in async code, where a query is not allowed.
    with django_assert_num_queries(0):
        assert [s.klass.teacher_id for s in sessions] == [school.teacher.pk, school.teacher.pk]
