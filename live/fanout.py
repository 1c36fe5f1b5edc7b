"""One channel-layer subscription per group per process, shared by the process's sockets."""

import asyncio
import logging
import uuid
import weakref

logger = logging.getLogger("attendance.ws")


class LocalFanout:
    """Deliver a group's broadcasts to this process's members from one channel-layer subscription.

    Channels' way subscribes every socket's own channel to the group: one broadcast to a class
    of 1,000 becomes 1,000 channel-layer messages in this process, each waking its consumer's
    task to be decoded and dispatched on its own. Here the process subscribes its relay channel
    once per group, keeps the group's local members, and hands each broadcast to all of them in
    one pass, in the order the layer delivered the broadcasts. Members implement
    `async deliver(message)`.

    A broadcast sent from this process is handed to the local members at once
    (`deliver_local`) and published with `origin` set to this fan-out's; when it comes back
    through the subscription it is skipped, so no socket gets it twice.
    """

    def __init__(self, layer) -> None:
        self.layer = layer
        self.origin = uuid.uuid4().hex
        self.members: dict[str, dict[object, None]] = {}  # group -> insertion-ordered set
        # Joins and leaves are serialized: a group's subscription must not be dropped by a
        # leave while a join that still counts on it is in flight.
        self.lock = asyncio.Lock()
        self.channel: str | None = None
        self.task: asyncio.Task | None = None

    async def join(self, group: str, member: object) -> None:
        """Add a member; subscribe this process to the group first if it is the first one."""
        async with self.lock:
            members = self.members.get(group)
            if members is None:
                if self.channel is None:
                    self.channel = await self.layer.new_channel()
                    self.task = asyncio.ensure_future(self._relay(self.channel))
                await self.layer.group_add(group, self.channel)
                members = self.members[group] = {}
            members[member] = None

    async def leave(self, group: str, member: object) -> None:
        """Remove a member; unsubscribe from the group when it was the last one here."""
        async with self.lock:
            members = self.members.get(group)
            if members is None or member not in members:
                return
            del members[member]
            if members:
                return
            del self.members[group]
            await self.layer.group_discard(group, self.channel)
            if not self.members and self.task is not None:
                self.task.cancel()
                self.task = self.channel = None

    async def _relay(self, channel: str) -> None:
        while True:
            try:
                message = await self.layer.receive(channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("Channel layer receive failed; retrying")
                await asyncio.sleep(1)
                continue
            if message.get("origin") == self.origin:
                continue  # sent from here, and handed to the local members already
            await self._hand_out(message)

    async def deliver_local(self, message: dict) -> None:
        """Hand a broadcast sent from this process to its local members of the group."""
        await self._hand_out(message)

    async def _hand_out(self, message: dict) -> None:
        members = self.members.get(message.get("group"))
        if not members:
            return
        for member in list(members):
            try:
                await member.deliver(message)
            except Exception:
                # One broken socket must not cost its classmates the broadcast.
                logger.warning("Broadcast delivery to one socket failed", exc_info=True)


_fanouts: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, LocalFanout]]" = weakref.WeakKeyDictionary()


def local_fanout(layer) -> LocalFanout:
    """The fan-out of this event loop (a relay task belongs to one loop) and channel layer."""
    per_loop = _fanouts.setdefault(asyncio.get_running_loop(), {})
    fanout = per_loop.get(id(layer))
    if fanout is None or fanout.layer is not layer:
        fanout = per_loop[id(layer)] = LocalFanout(layer)
    return fanout
