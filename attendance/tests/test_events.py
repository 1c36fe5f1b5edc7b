"""What the attendance services announce, once their write has committed."""

from datetime import timedelta

import pytest
from django.conf import settings

from attendance import events, services
from core.errors import ApplicationError
from tests.factories import make_class, make_student, make_teacher

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def heard():
    received = []

    def on_started(*, session, **kwargs):
        received.append(("started", session.pk))

    def on_marked(*, session, record, **kwargs):
        received.append(("marked", session.pk, str(record.student_id), record.status))

    def on_finished(*, session, summary, automatic, **kwargs):
        received.append(("finished", session.pk, summary, automatic))

    def on_record_updated(*, session, record, change, **kwargs):
        correction = None if change is None else (change.from_status, change.to_status, change.note)
        received.append(("record", session.pk, str(record.student_id), record.status, correction))

    def on_marks_removed(*, session, student_ids, **kwargs):
        received.append(("removed", session.pk, student_ids))

    events.session_started.connect(on_started)
    events.marks_removed.connect(on_marks_removed)
    events.attendance_marked.connect(on_marked)
    events.session_finished.connect(on_finished)
    events.record_updated.connect(on_record_updated)
    yield received
    events.record_updated.disconnect(on_record_updated)
    events.attendance_marked.disconnect(on_marked)
    events.session_started.disconnect(on_started)
    events.session_finished.disconnect(on_finished)
    events.marks_removed.disconnect(on_marks_removed)


@pytest.fixture
def klass():
    teacher = make_teacher()
    return make_class(teacher=teacher, students=[make_student(), make_student()])


def test_starting_announces_once_and_a_running_session_is_not_announced_again(heard, klass):
    session = services.session_start(teacher=klass.teacher, klass=klass)
    services.session_start(teacher=klass.teacher, klass=klass)
    assert heard == [("started", session.pk)]


def test_finishing_announces_the_summary(heard, klass):
    session = services.session_start(teacher=klass.teacher, klass=klass)
    heard.clear()
    services.session_finish(session=session)
    assert heard == [("finished", session.pk, {"present": 0, "late": 0, "excused": 0, "absent": 2, "total": 2}, False)]


def test_each_mark_is_announced_and_a_refused_one_is_not(heard, klass):
    session = services.session_start(teacher=klass.teacher, klass=klass)
    student = klass.enrollments.first().student
    heard.clear()
    services.attendance_mark(session=session, student_id=str(student.pk), status="present", by=klass.teacher)
    services.attendance_mark(session=session, student_id=str(student.pk), status="absent", by=klass.teacher)
    with pytest.raises(ApplicationError):
        services.attendance_mark(session=session, student_id=str(student.pk), status="tardy", by=klass.teacher)
    assert heard == [
        ("marked", session.pk, str(student.pk), "present"),
        ("marked", session.pk, str(student.pk), "absent"),
    ]


def test_a_finish_that_fails_announces_nothing(heard, klass):
    session = services.session_start(teacher=klass.teacher, klass=klass)
    services.session_finish(session=session)
    heard.clear()
    with pytest.raises(ApplicationError):
        services.session_finish(session=session)
    assert heard == []


def test_a_forgotten_session_finished_automatically_says_so(heard, klass):
    session = services.session_start(teacher=klass.teacher, klass=klass)
    heard.clear()
    later = session.started_at + timedelta(hours=settings.SESSION_MAX_HOURS + 1)
    assert services.session_finish_stale(now=later) == 1
    assert heard == [("finished", session.pk, {"present": 0, "late": 0, "excused": 0, "absent": 2, "total": 2}, True)]


def test_a_record_set_from_the_sessions_route_is_announced_as_a_mark_then_as_a_correction(heard, klass):
    session = services.session_start(teacher=klass.teacher, klass=klass)
    student = klass.enrollments.first().student
    heard.clear()

    services.record_set(session=session, student_id=str(student.pk), status="late", by=klass.teacher)
    services.session_finish(session=session)
    heard.clear()
    services.record_set(session=session, student_id=str(student.pk), status="excused", note="Ill", by=klass.teacher)
    with pytest.raises(ApplicationError):
        services.record_set(session=session, student_id=str(student.pk), status="tardy", by=klass.teacher)

    assert heard == [("record", session.pk, str(student.pk), "excused", ("late", "excused", "Ill"))]


def test_a_mark_from_the_sessions_route_is_announced_once_committed(heard, klass):
    session = services.session_start(teacher=klass.teacher, klass=klass)
    student = klass.enrollments.first().student
    heard.clear()

    services.record_set(session=session, student_id=str(student.pk), status="late", by=klass.teacher)

    assert heard == [
        ("marked", session.pk, str(student.pk), "late"),
        ("record", session.pk, str(student.pk), "late", None),
    ]


def test_marking_the_rest_announces_each_new_mark_and_undoing_announces_the_students_once(heard, klass):
    session = services.session_start(teacher=klass.teacher, klass=klass)
    first, second = (enrollment.student for enrollment in klass.enrollments.order_by("student__name"))
    services.attendance_mark(session=session, student_id=str(first.pk), status="absent", by=klass.teacher)
    heard.clear()

    services.attendance_mark_rest(session=session, by=klass.teacher, status="late")
    services.attendance_unmark(session=session, student_ids=[str(first.pk), str(second.pk)], status="late")
    services.attendance_unmark(session=session, student_ids=[str(second.pk)], status="late")

    assert heard == [
        ("marked", session.pk, str(second.pk), "late"),
        ("removed", session.pk, [str(second.pk)]),
    ]
