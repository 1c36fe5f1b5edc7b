"""When a user last had a live page open: what a check-in asks to flag "page not open this session"."""

import time
import uuid

import pytest

from live import presence
from tests.services import require_redis


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def store(request, monkeypatch):
    """The store `presence.seen_since` asks, in memory or in Redis."""
    store = presence.MemoryPresence() if request.param == "memory" else presence.RedisPresence(require_redis())
    monkeypatch.setattr(presence, "_presence", store)
    return store


async def test_never_connected_is_never_seen(store):
    assert await store.seen("nobody") is None
    assert not await presence.seen_since(user_id="nobody", since=0)


async def test_an_open_page_counts_as_seen_now_and_a_closed_one_from_when_it_closed(store):
    before = time.time()
    await store.add("7", "channel-a")
    assert await store.seen("7") >= before
    await store.remove("7", "channel-a")
    closed = await store.seen("7")
    assert closed is not None and before <= closed <= time.time()
    # A session that started after the page closed: not seen during it.
    assert not await presence.seen_since(user_id="7", since=time.time() + 1)
    assert await presence.seen_since(user_id="7", since=before)


async def test_the_memory_store_forgets_after_a_session_could_have_run(monkeypatch):
    store = presence.MemoryPresence()
    await store.add("7", "channel-a")
    await store.remove("7", "channel-a")
    later = time.time() + presence.seen_seconds() + 120
    monkeypatch.setattr(presence.time, "time", lambda: later)
    assert await store.seen("7") is None
    await store.add("8", "channel-b")  # the next connection prunes what is too old
    assert "7" not in store._seen


# Users of the claim tests: new each run, since Redis keeps a run's entries for a while.
RUN = uuid.uuid4().hex
EIGHT, NINE, TEN = (f"claim-{n}-{RUN}" for n in (8, 9, 10))
TWENTY, TWENTY_ONE, THIRTY, THIRTY_ONE = (f"claim-{n}-{RUN}" for n in (20, 21, 30, 31))


async def test_a_claim_counts_the_users_other_open_connections_and_a_removal_what_is_left(store):
    # The per-user socket cap is checked against `claim`'s count, taken with the entry itself.
    assert await store.claim(EIGHT, "channel-a") == 0
    assert await store.claim(EIGHT, "channel-b") == 1
    assert await store.claim(NINE, "channel-c") == 0
    assert await store.online([EIGHT, NINE, TEN]) == {EIGHT, NINE}
    assert await store.remove(EIGHT, "channel-a") is True
    assert await store.remove(EIGHT, "channel-b") is False
    assert await store.online([EIGHT, NINE]) == {NINE}


async def test_claims_sent_together_count_each_other_in_order(store):
    # A connect storm's claims go to Redis in one round trip; a user's second socket still
    # sees the first, so the per-user cap holds within a burst.
    claims = [(TWENTY, "a"), (TWENTY_ONE, "b"), (TWENTY, "c"), (TWENTY, "d")]
    assert await store.claim_many(claims) == {"a": 0, "b": 0, "c": 1, "d": 2}
    assert await store.online([TWENTY, TWENTY_ONE]) == {TWENTY, TWENTY_ONE}


@pytest.mark.redis
async def test_claims_after_redis_forgot_the_script_still_work():
    store = presence.RedisPresence(require_redis())
    assert await store.claim_many([(THIRTY, "a")]) == {"a": 0}
    await store._client().script_flush()  # as after a Redis restart
    assert await store.claim_many([(THIRTY, "b"), (THIRTY_ONE, "c")]) == {"b": 1, "c": 0}
    assert await store.remove(THIRTY, "a") is True
