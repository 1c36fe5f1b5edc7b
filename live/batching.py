"""Lookups that many handshakes ask at once, answered together: one query for a herd of sockets.

A connect storm (a school at 9:00, or every page of a killed worker coming back) asks the
database the same two questions for every socket: who is this token's user, and which
classes are theirs. Asked one socket at a time, that is two queries and two thread hops per
handshake, and the queries queue behind each other for the interpreter. A `Batch` collects
the keys asked while its previous lookup runs and looks them all up in the next one: at
idle a socket waits for nothing more than its own query (the lookup starts on the next turn
of the event loop); in a storm one query answers every handshake that arrived meanwhile.
Every answer is still read from the database after the socket asked, never from a cache.
"""

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Hashable

# A storm's batch is bounded, so that one query stays quick and its IN list short.
MAX_BATCH = 256


class Batch:
    """Look up keys together: `await batch.get(key, item)` is `load([items...])[key]`, shared.

    `load` is an async callable taking the items of distinct keys and returning {key: value};
    a key it leaves out gets None. A failure of `load` is raised to every caller of its batch.
    """

    def __init__(self, load: Callable[[list], Awaitable[dict]], max_batch: int = MAX_BATCH) -> None:
        self.load = load
        self.max_batch = max_batch
        self.pending: dict[Hashable, tuple[object, list[asyncio.Future]]] = {}
        self.task: asyncio.Task | None = None

    async def get(self, key: Hashable, item: object = None) -> object:
        future = asyncio.get_running_loop().create_future()
        waiting = self.pending.get(key)
        if waiting is None:
            self.pending[key] = (key if item is None else item, [future])
        else:
            waiting[1].append(future)
        if self.task is None:
            self.task = asyncio.ensure_future(self._drain())
        return await future

    async def _drain(self) -> None:
        batch: dict = {}
        try:
            while self.pending:
                keys = list(self.pending)[: self.max_batch]
                batch = {key: self.pending.pop(key) for key in keys}
                # A key whose every caller gave up (cancelled, timed out) before its lookup began is
                # not looked up: a socket that closed meanwhile must not refresh its presence after
                # its removal went out.
                batch = {key: waiting for key, waiting in batch.items() if not all(f.done() for f in waiting[1])}
                if not batch:
                    continue
                try:
                    values = await self.load([item for item, _ in batch.values()])
                except Exception as exc:  # noqa: BLE001 - each caller decides what a failed lookup means
                    for _, futures in batch.values():
                        _settle(futures, exception=exc)
                    continue
                for key, (_, futures) in batch.items():
                    _settle(futures, result=values.get(key))
        finally:
            self.task = None
            # Cancelled (the loop is closing) with a lookup under way or keys still waiting:
            # their callers must not wait forever. Callers already answered are skipped.
            for _, futures in [*batch.values(), *self.pending.values()]:
                _settle(futures, exception=RuntimeError("lookup cancelled"))
            self.pending.clear()


def _settle(futures: list[asyncio.Future], *, result: object = None, exception: BaseException | None = None) -> None:
    for future in futures:
        if future.done():  # its caller gave up (a handshake timed out)
            continue
        if exception is not None:
            future.set_exception(exception)
        else:
            future.set_result(result)


_batches: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Batch]]" = weakref.WeakKeyDictionary()


def batch_of(name: str, load: Callable[[list], Awaitable[dict]]) -> Batch:
    """This event loop's batch called `name` (a batch's futures belong to one loop)."""
    per_loop = _batches.setdefault(asyncio.get_running_loop(), {})
    batch = per_loop.get(name)
    if batch is None:
        batch = per_loop[name] = Batch(load)
    return batch
