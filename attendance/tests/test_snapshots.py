"""What a client that opted in is told: snapshots, and catching up from a `seq` it holds."""

import pytest

from attendance import selectors, services
from attendance.snapshots import catch_up_sync, snapshot_sync
from core.errors import ApplicationError, Messages
from tests.factories import make_class, make_student, make_teacher


@pytest.fixture
def roll(db):
    teacher = make_teacher()
    students = [make_student(name=f"S{i}") for i in range(3)]
    klass = make_class(teacher=teacher, students=students)
    session = services.session_start(teacher=teacher, klass=klass)
    return teacher, students, klass, session


def mark(roll, student, status):
    teacher, _, _, session = roll
    return services.attendance_mark(session=session, student_id=str(student.pk), status=status, by=teacher)


def test_a_snapshot_names_the_session_and_the_seq_its_marks_hold(roll):
    teacher, students, klass, session = roll
    mark(roll, students[0], "present")
    mark(roll, students[1], "absent")
    entry = snapshot_sync(user=teacher, class_ids=[str(klass.pk)])["classes"][0]
    assert entry["session"]["sessionId"] == str(session.pk)
    assert entry["session"]["seq"] == 2
    own = snapshot_sync(user=students[0], class_ids=[str(klass.pk)])["classes"][0]["session"]
    assert (own["sessionId"], own["seq"], own["status"]) == (str(session.pk), 2, "present")


def test_a_teacher_catching_up_gets_every_record_written_since_the_seq_held(roll):
    teacher, students, klass, session = roll
    mark(roll, students[0], "present")  # seq 1: the client holds this
    mark(roll, students[1], "absent")  # 2
    mark(roll, students[0], "absent")  # 3 replaces 1
    answer = catch_up_sync(user=teacher, class_id=str(klass.pk), session_id=str(session.pk), since=1)
    assert answer == {
        "classId": str(klass.pk),
        "sessionId": str(session.pk),
        "seq": 3,
        "marks": {str(students[0].pk): "absent", str(students[1].pk): "absent"},
    }
    nothing_new = catch_up_sync(user=teacher, class_id=str(klass.pk), session_id=str(session.pk), since=3)
    assert nothing_new["marks"] == {} and nothing_new["seq"] == 3


def test_a_student_catching_up_gets_only_their_own_record(roll):
    _, students, klass, session = roll
    mark(roll, students[0], "present")
    mark(roll, students[1], "absent")
    answer = catch_up_sync(user=students[1], class_id=str(klass.pk), session_id=str(session.pk), since=0)
    assert answer["marks"] == {str(students[1].pk): "absent"} and answer["seq"] == 2
    answer = catch_up_sync(user=students[2], class_id=str(klass.pk), session_id=str(session.pk), since=0)
    assert answer["marks"] == {}


def test_a_client_whose_session_ended_or_was_replaced_gets_a_fresh_entry(roll):
    teacher, students, klass, session = roll
    mark(roll, students[0], "present")
    services.session_finish(session=session)
    ended = catch_up_sync(user=teacher, class_id=str(klass.pk), session_id=str(session.pk), since=1)
    assert ended["sessionId"] is None and ended["seq"] is None
    assert ended["snapshot"]["classId"] == str(klass.pk) and ended["snapshot"]["session"] is None

    again = services.session_start(teacher=teacher, klass=klass)
    replaced = catch_up_sync(user=teacher, class_id=str(klass.pk), session_id=str(session.pk), since=1)
    assert replaced["sessionId"] == str(again.pk) and replaced["seq"] == 0
    assert replaced["snapshot"]["session"]["marks"] == {}
    # A client holding no session (or a version the session never reached) also starts afresh.
    for held, since in ((None, 0), (str(again.pk), 7)):
        answer = catch_up_sync(user=students[0], class_id=str(klass.pk), session_id=held, since=since)
        assert answer["snapshot"]["session"]["status"] == "not yet updated"


def test_catching_up_on_a_class_that_is_gone_is_class_not_found(roll):
    teacher, _, _, session = roll
    for class_id in ("someid", "987654"):
        with pytest.raises(ApplicationError) as error:
            catch_up_sync(user=teacher, class_id=class_id, session_id=str(session.pk), since=0)
        assert error.value.message == Messages.CLASS_NOT_FOUND


def test_summary_comes_with_the_version_its_counts_hold(roll):
    _, students, _, session = roll
    mark(roll, students[0], "present")
    mark(roll, students[1], "absent")
    summary, seq = selectors.session_summary_at(session=session)
    assert (summary["present"], summary["absent"], summary["total"], seq) == (1, 1, 2, 2)
    services.session_finish(session=session)
    with pytest.raises(ApplicationError) as error:
        selectors.session_summary_at(session=session)
    assert error.value.message == Messages.WS_NO_SESSION


def test_a_summary_read_while_marks_land_is_read_again(roll, monkeypatch):
    _, students, _, session = roll
    real = selectors.session_summary
    landed = []

    def summary_then_a_mark_lands(**kwargs):
        counted = real(**kwargs)
        if not landed:  # a mark commits between the counts and the second version read
            landed.append(mark(roll, students[2], "present"))
        return counted

    monkeypatch.setattr(selectors, "session_summary", summary_then_a_mark_lands)
    summary, seq = selectors.session_summary_at(session=session)
    assert (summary["present"], summary["total"], seq) == (1, 1, 1)
