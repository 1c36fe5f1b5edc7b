"""Announcements after commit: sent once the write commits, never for a rolled-back one, and a
failing receiver never fails the write."""

import pytest
from django.dispatch import Signal

from core.events import send_after_commit
from core.transactions import atomic

happened = Signal()


@pytest.fixture
def heard():
    received = []

    def receiver(**kwargs):
        received.append(kwargs["what"])

    happened.connect(receiver)
    yield received
    happened.disconnect(receiver)


@pytest.mark.django_db(transaction=True)
def test_sent_when_the_transaction_commits_not_before(heard):
    with atomic():
        send_after_commit(happened, what="started")
        assert heard == []
    assert heard == ["started"]


@pytest.mark.django_db(transaction=True)
def test_not_sent_for_a_rolled_back_write(heard):
    with pytest.raises(RuntimeError), atomic():
        send_after_commit(happened, what="started")
        raise RuntimeError("the write failed")
    assert heard == []


@pytest.mark.django_db(transaction=True)
def test_a_failing_receiver_is_logged_and_the_others_still_hear(heard, caplog):
    def broken(**kwargs):
        raise ConnectionError("Redis is down")

    happened.connect(broken)
    try:
        with caplog.at_level("WARNING", logger="attendance.events"), atomic():
            send_after_commit(happened, what="finished")
    finally:
        happened.disconnect(broken)
    assert heard == ["finished"]
    assert any("Redis is down" in record.getMessage() for record in caplog.records)
