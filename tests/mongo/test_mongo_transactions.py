"""Real MongoDB transactions: rollback, and the retry of a block that lost a write conflict."""

import threading

import pytest
from django.db import DatabaseError, connections
from django.db.models import F

from attendance.models import AttendanceSession
from core.transactions import atomic, run_atomic
from tests import factories

pytestmark = [pytest.mark.mongodb, pytest.mark.django_db(transaction=True)]

WAIT = 10  # seconds; only reached when something is broken


def in_thread(target, errors: list) -> threading.Thread:
    def run():
        try:
            target()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_a_block_that_lost_a_write_conflict_is_run_again_after_the_winner_commits():
    teacher = factories.make_teacher()
    klass = factories.make_class(teacher=teacher)
    session = AttendanceSession.objects.create(klass=klass, teacher=teacher, started_at=klass.created_at)
    first_wrote, second_conflicted = threading.Event(), threading.Event()
    attempts = {"first": 0, "second": 0}

    def bump() -> None:
        AttendanceSession.objects.filter(pk=session.pk).update(version=F("version") + 1)

    def first_block() -> None:
        attempts["first"] += 1
        bump()
        first_wrote.set()
        # Stay open, holding the write, until the other transaction has hit it.
        assert second_conflicted.wait(WAIT), "the second transaction never met a write conflict"

    def second_block() -> None:
        attempts["second"] += 1
        try:
            bump()
        except DatabaseError:
            second_conflicted.set()
            raise

    def second() -> None:
        assert first_wrote.wait(WAIT)
        run_atomic(second_block, attempts=10)

    errors: list[BaseException] = []
    threads = [in_thread(lambda: run_atomic(first_block), errors), in_thread(second, errors)]
    for thread in threads:
        thread.join(2 * WAIT)
    assert errors == []
    assert attempts["first"] == 1
    assert attempts["second"] >= 2  # the first try was aborted by MongoDB, a later one committed
    assert AttendanceSession.objects.get(pk=session.pk).version == 2


def test_an_aborted_transaction_leaves_nothing_behind():
    teacher = factories.make_teacher()
    klass = factories.make_class(teacher=teacher)
    with pytest.raises(RuntimeError), atomic():
        AttendanceSession.objects.create(klass=klass, teacher=teacher, started_at=klass.created_at)
        AttendanceSession.objects.filter(klass=klass).update(version=7)
        raise RuntimeError("boom")
    assert not AttendanceSession.objects.filter(klass=klass).exists()
