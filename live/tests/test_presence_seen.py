"""When a user last had a live page open: what a check-in asks to flag "page not open this session"."""

import time

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


async def test_a_claim_counts_the_users_other_open_connections_and_a_removal_what_is_left(store):
    # The per-user socket cap is checked against `claim`'s count, taken with the entry itself.
    assert await store.claim("claim-8", "channel-a") == 0
    assert await store.claim("claim-8", "channel-b") == 1
    assert await store.claim("claim-9", "channel-c") == 0
    assert await store.online(["claim-8", "claim-9", "claim-10"]) == {"claim-8", "claim-9"}
    assert await store.remove("claim-8", "channel-a") is True
    assert await store.remove("claim-8", "channel-b") is False
    assert await store.online(["claim-8", "claim-9"]) == {"claim-9"}
