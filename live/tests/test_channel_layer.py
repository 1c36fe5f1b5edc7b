"""The Redis pub/sub layer keeps every subscription of the process through Redis restarts and
answers promptly when Redis is down or silent (live.compat.ResubscribingRedisPubSubLayer)."""

import asyncio
import contextlib
import socket
import time

import pytest

from live.compat import CONNECTION_LOST, ResubscribingRedisPubSubLayer

pytestmark = pytest.mark.redis

BOUND = 15  # seconds after which a call counts as hanging


async def outcome(awaitable) -> BaseException | None:
    """Run a layer call; return what it raised (None when it worked). Fail the test if it hangs."""
    task = asyncio.ensure_future(awaitable)
    done, _ = await asyncio.wait({task}, timeout=BOUND)
    if not done:
        task.cancel()
        raise AssertionError(f"the layer call hung for {BOUND}s")
    return task.exception()


class Inbox:
    """Everything a channel receives, read by one task as a consumer reads it (never cancelled
    mid-wait: the pub/sub layer drops a channel whose receive() is cancelled)."""

    def __init__(self, layer, channel: str) -> None:
        self.layer, self.channel = layer, channel
        self.messages: asyncio.Queue = asyncio.Queue()
        self.task = asyncio.ensure_future(self._pump())

    async def _pump(self) -> None:
        while True:
            await self.messages.put(await self.layer.receive(self.channel))

    async def hears(self, group: str) -> bool:
        """Send a probe to the group; tell whether this channel received it."""
        try:
            await self.layer.group_send(group, {"type": "probe", "group": group})
        except CONNECTION_LOST:
            return False
        try:
            while True:
                message = await asyncio.wait_for(self.messages.get(), 2)
                if message == {"type": "probe", "group": group}:
                    return True
        except TimeoutError:
            return False

    async def close(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        await self.layer.flush()


async def test_every_group_is_heard_again_after_a_redis_restart(private_redis):
    layer = ResubscribingRedisPubSubLayer(hosts=[private_redis.url], prefix="restart")
    channel = await layer.new_channel()
    inbox = Inbox(layer, channel)
    await layer.group_add("before", channel)
    assert await inbox.hears("before")

    private_redis.kill()
    during = await outcome(layer.group_add("during", channel))
    assert during is None or isinstance(during, CONNECTION_LOST)  # at once, never hanging
    private_redis.start()  # same port, empty

    deadline = time.monotonic() + BOUND
    while (failure := await outcome(layer.group_add("after", channel))) is not None:
        assert isinstance(failure, CONNECTION_LOST), failure
        assert time.monotonic() < deadline, "no subscription worked after Redis came back"
        await asyncio.sleep(0.2)
    assert await inbox.hears("before")
    assert await inbox.hears("after")
    if during is None:
        assert await inbox.hears("during")  # a join that seemed to work during the outage holds too
    await inbox.close()


async def test_a_group_left_during_the_outage_is_not_subscribed_again(private_redis):
    layer = ResubscribingRedisPubSubLayer(hosts=[private_redis.url], prefix="left")
    channel, other = await layer.new_channel(), await layer.new_channel()
    inbox = Inbox(layer, channel)
    await layer.group_add("kept", channel)
    await layer.group_add("left", other)
    private_redis.kill()
    assert await outcome(layer.group_discard("left", other)) is None
    private_redis.start()
    deadline = time.monotonic() + BOUND
    while not await inbox.hears("kept"):
        assert time.monotonic() < deadline, "the kept group was not heard again"
    shard = layer._get_layer()._shards[0]
    assert "left__group__kept" in shard.wanted
    assert "left__group__left" not in shard.wanted
    await inbox.close()


async def test_a_subscription_while_redis_does_not_answer_fails_promptly():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)  # connections complete in the backlog; nothing is ever read or written
    try:
        layer = ResubscribingRedisPubSubLayer(hosts=[f"redis://127.0.0.1:{listener.getsockname()[1]}/0"], prefix="x")
        # A consumer's own channel is made all the same (Channels makes it before connect()) ...
        channel = await asyncio.wait_for(layer.new_channel(), BOUND)
        # ... and joining a group says that Redis is unavailable, promptly.
        assert isinstance(await outcome(layer.group_add("class.1", channel)), CONNECTION_LOST)
        assert isinstance(await outcome(layer.group_add("user.1", channel)), CONNECTION_LOST)
        await layer.flush()
    finally:
        listener.close()


async def test_a_subscription_during_a_reconnect_fails_at_once_instead_of_queueing_behind_it():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)  # connections complete in the backlog; Redis never answers the PING
    try:
        layer = ResubscribingRedisPubSubLayer(hosts=[f"redis://127.0.0.1:{listener.getsockname()[1]}/0"], prefix="y")
        channel = await asyncio.wait_for(layer.new_channel(), BOUND)
        shard = layer._get_layer()._shards[0]
        deadline = time.monotonic() + BOUND
        while not (shard.lost and shard.lock.locked()):  # a first try failed; the next one waits for a PONG
            assert time.monotonic() < deadline, "the receiver did not try again"
            await asyncio.sleep(0.05)
        assert isinstance(await outcome(layer.group_add("user.1", channel)), CONNECTION_LOST)
        assert shard.lock.locked()  # answered while that reconnect still waited, not after it
        assert "y__group__user.1" in shard.wanted  # subscribed as soon as Redis answers
        await layer.flush()
    finally:
        listener.close()


async def test_the_first_subscriptions_of_a_process_wait_for_its_first_connection(private_redis):
    # Many handshakes at a worker's start: none is refused while the first connection is made.
    layer = ResubscribingRedisPubSubLayer(hosts=[private_redis.url], prefix="first")
    channels = await asyncio.gather(*(layer.new_channel() for _ in range(20)))
    inboxes = [Inbox(layer, channel) for channel in channels]
    outcomes = await asyncio.gather(*(outcome(layer.group_add(f"user.{i}", c)) for i, c in enumerate(channels)))
    assert outcomes == [None] * 20
    assert await inboxes[7].hears("user.7")
    for inbox in inboxes:
        inbox.task.cancel()
    await inboxes[0].close()
