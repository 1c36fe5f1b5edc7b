"""Handshakes asking at once share one lookup (live.batching)."""

import asyncio

import pytest

from live.batching import Batch


class Loads:
    """A lookup that records each call's items and answers once let go."""

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[list] = []
        self.fail = fail
        self.go = asyncio.Event()

    async def __call__(self, items: list) -> dict:
        self.calls.append(list(items))
        await self.go.wait()
        if self.fail:
            raise ConnectionError("database is locked")
        return {item: f"value of {item}" for item in items if item != "nobody"}


async def test_keys_asked_while_a_lookup_runs_share_the_next_one():
    load = Loads()
    batch = Batch(load)
    first = asyncio.ensure_future(batch.get("a"))
    await asyncio.sleep(0.01)  # the first lookup is under way, with "a" alone
    rest = [asyncio.ensure_future(batch.get(key)) for key in ("b", "c", "b", "nobody")]
    await asyncio.sleep(0.01)
    load.go.set()

    assert await first == "value of a"
    assert await asyncio.gather(*rest) == ["value of b", "value of c", "value of b", None]
    assert load.calls == [["a"], ["b", "c", "nobody"]]


async def test_a_failed_lookup_fails_every_caller_of_its_batch_and_the_next_batch_runs():
    load = Loads(fail=True)
    batch = Batch(load)
    callers = [asyncio.ensure_future(batch.get(key)) for key in ("a", "b")]
    await asyncio.sleep(0.01)
    load.go.set()
    for caller in callers:
        with pytest.raises(ConnectionError):
            await caller
    load.fail = False
    assert await batch.get("c") == "value of c"


async def test_a_caller_that_gave_up_does_not_cost_the_others_their_answer():
    load = Loads()
    batch = Batch(load)
    impatient = asyncio.ensure_future(asyncio.wait_for(batch.get("a"), 0.01))
    patient = asyncio.ensure_future(batch.get("a"))
    with pytest.raises(TimeoutError):
        await impatient
    load.go.set()
    assert await patient == "value of a"
    assert await batch.get("d") == "value of d"


async def test_a_batch_is_bounded():
    load = Loads()
    load.go.set()
    batch = Batch(load, max_batch=2)
    assert await asyncio.gather(*(batch.get(key) for key in "abcde")) == [f"value of {key}" for key in "abcde"]
    assert load.calls == [["a", "b"], ["c", "d"], ["e"]]


async def test_keys_still_waiting_when_the_lookup_is_cancelled_are_not_left_waiting():
    load = Loads()
    batch = Batch(load)
    first = asyncio.ensure_future(batch.get("a"))
    await asyncio.sleep(0.01)
    second = asyncio.ensure_future(batch.get("b"))  # waits for the next lookup
    await asyncio.sleep(0.01)
    batch.task.cancel()  # as when the event loop shuts down
    for caller in (first, second):  # the lookup under way, and the one waiting for the next
        with pytest.raises(RuntimeError, match="lookup cancelled"):
            await asyncio.wait_for(caller, 1)
    assert batch.task is None and not batch.pending


async def test_a_key_every_caller_gave_up_on_before_its_lookup_is_not_looked_up():
    # A socket that closed while its heartbeat waited for the batch: no refresh after its removal.
    load = Loads()
    batch = Batch(load)
    first = asyncio.ensure_future(batch.get("a"))
    await asyncio.sleep(0.01)  # "a" is being looked up; "gone" and "b" wait for the next batch
    gone = asyncio.ensure_future(batch.get("gone"))
    kept = asyncio.ensure_future(batch.get("b"))
    await asyncio.sleep(0)
    gone.cancel()
    load.go.set()
    assert (await first, await kept) == ("value of a", "value of b")
    assert load.calls == [["a"], ["b"]]
    with pytest.raises(asyncio.CancelledError):
        await gone


async def test_a_batch_of_callers_that_all_gave_up_costs_no_lookup():
    load = Loads()
    load.go.set()
    batch = Batch(load)
    callers = [asyncio.ensure_future(batch.get(key)) for key in ("a", "b")]
    await asyncio.sleep(0)
    for caller in callers:
        caller.cancel()
    await asyncio.gather(*callers, return_exceptions=True)
    await asyncio.sleep(0.01)
    assert load.calls == []
    assert await batch.get("c") == "value of c"
