"""When a user last had a live page open: what a check-in asks to flag "page not open this session"."""

import asyncio
import time
import uuid
from types import SimpleNamespace

import pytest
from redis import exceptions as redis_errors

from accounts.models import Role
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


async def test_removals_sent_together_see_each_other_in_order(store):
    # A disconnect storm's removals go in one round trip; the user's last socket still learns it was the last.
    await store.claim_many([(TWENTY, "e"), (TWENTY, "f"), (TWENTY_ONE, "g")])
    assert await store.remove_many([(TWENTY, "e"), (TWENTY_ONE, "g"), (TWENTY, "f")]) == {
        "e": True,
        "g": False,
        "f": False,
    }
    assert await store.online([TWENTY, TWENTY_ONE]) == set()


@pytest.mark.redis
async def test_claims_and_removals_after_redis_forgot_the_scripts_still_work():
    store = presence.RedisPresence(require_redis())
    assert await store.claim_many([(THIRTY, "a")]) == {"a": 0}
    await store._client().script_flush()  # as after a Redis restart
    assert await store.claim_many([(THIRTY, "b"), (THIRTY_ONE, "c")]) == {"b": 1, "c": 0}
    await store._client().script_flush()
    assert await store.remove_many([(THIRTY, "a"), (THIRTY_ONE, "c")]) == {"a": True, "c": False}


@pytest.mark.redis
async def test_a_claim_that_redis_refuses_is_an_error_not_a_count():
    # The handshake answers "try again" (close 4013) on any failure; it must not read an error as "0 open".
    store = presence.RedisPresence(require_redis())
    broken = f"broken-{RUN}"
    await store._client().set(store._key(broken), "not a sorted set", ex=60)
    with pytest.raises(redis_errors.ResponseError, match="WRONGTYPE"):
        await store.claim_many([(THIRTY_ONE, "h"), (broken, "i")])
    with pytest.raises(redis_errors.ResponseError, match="WRONGTYPE"):
        await store.remove_many([(broken, "i")])


async def test_sockets_leaving_together_are_forgotten_in_one_round_trip(store, monkeypatch):
    calls = []
    remove_many = store.remove_many

    async def recording(removals):
        calls.append(list(removals))
        return await remove_many(removals)

    monkeypatch.setattr(store, "remove_many", recording)
    users = [SimpleNamespace(pk=f"leaving-{n}-{RUN}", role=Role.STUDENT) for n in range(10)]
    await store.claim_many([(user.pk, f"leave-{n}") for n, user in enumerate(users)])
    await asyncio.gather(
        *(presence.disconnected(user=user, channel=f"leave-{n}", classes={}) for n, user in enumerate(users))
    )
    assert [sorted(channel for _, channel in removals) for removals in calls] == [
        sorted(f"leave-{n}" for n in range(10))
    ]
    assert await store.online([user.pk for user in users]) == set()


# Heartbeats ------------------------------------------------------------------------------


@pytest.fixture
def refreshes(store, monkeypatch):
    """Every round trip of claims and refreshes: (seconds since the fixture started, its claims)."""
    started = time.monotonic()
    calls = []
    claim_many = store.claim_many

    async def recording(claims):
        calls.append((time.monotonic() - started, list(claims)))
        return await claim_many(claims)

    monkeypatch.setattr(store, "claim_many", recording)
    return calls


async def run_heartbeats(channels: list[str], *, user_id: str, seconds: float) -> None:
    tasks = [asyncio.ensure_future(presence.heartbeat(user_id=user_id, channel=channel)) for channel in channels]
    await asyncio.sleep(seconds)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_a_storms_heartbeats_first_fall_due_spread_over_the_second_half_of_the_interval(
    store, refreshes, monkeypatch
):
    # Sockets that connected in the same second must not all refresh in the same second later.
    monkeypatch.setattr(presence, "HEARTBEAT_SECONDS", 0.4)
    channels = [f"storm-{n}" for n in range(20)]
    await run_heartbeats(channels, user_id=f"beat-{RUN}", seconds=0.45)
    refreshed = [channel for _, claims in refreshes for _, channel in claims]
    assert sorted(refreshed) == sorted(channels)  # each once, none lost
    assert all(0.19 <= moment <= 0.45 for moment, _ in refreshes)
    assert len(refreshes) > 1


async def test_heartbeats_that_fall_due_together_go_in_one_round_trip(store, refreshes, monkeypatch):
    monkeypatch.setattr(presence, "HEARTBEAT_SECONDS", 0.05)
    monkeypatch.setattr(presence.random, "uniform", lambda low, high: high)  # all due at once
    channels = [f"herd-{n}" for n in range(10)]
    await run_heartbeats(channels, user_id=f"herd-{RUN}", seconds=0.08)
    assert [sorted(channel for _, channel in claims) for _, claims in refreshes] == [sorted(channels)]


@pytest.mark.redis
async def test_a_heartbeat_keeps_an_open_connection_online_past_the_entrys_lifetime(monkeypatch):
    store = presence.RedisPresence(require_redis())
    monkeypatch.setattr(presence, "_presence", store)
    monkeypatch.setattr(presence, "TTL_SECONDS", 1)  # whole seconds: Redis expiries are integers
    monkeypatch.setattr(presence, "HEARTBEAT_SECONDS", 0.3)
    kept, dropped = f"kept-{RUN}", f"dropped-{RUN}"
    await store.claim_many([(kept, "beating"), (dropped, "silent")])
    await run_heartbeats(["beating"], user_id=kept, seconds=1.5)
    assert await store.online([kept, dropped]) == {kept}


async def test_a_failed_heartbeat_is_tried_again_at_the_next_one(store, monkeypatch, caplog):
    monkeypatch.setattr(presence, "HEARTBEAT_SECONDS", 0.05)
    monkeypatch.setattr(presence.random, "uniform", lambda low, high: high)
    calls = []

    async def flaky(claims):
        calls.append(claims)
        if len(calls) == 1:
            raise ConnectionError("Redis went away")
        return {channel: 0 for _, channel in claims}

    monkeypatch.setattr(store, "claim_many", flaky)
    await run_heartbeats(["flaky"], user_id=f"flaky-{RUN}", seconds=0.13)
    assert len(calls) == 2
    assert "Presence heartbeat failed" in caplog.text
