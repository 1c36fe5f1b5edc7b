"""One channel-layer subscription per carrier per process, shared by the process's sockets."""

import asyncio
import logging
import uuid
import weakref

from live.groups import carrier

logger = logging.getLogger("attendance.ws")


class LocalFanout:
    """Deliver a group's broadcasts to this process's members from one channel-layer subscription.

    Channels' way subscribes every socket's own channel to the group: one broadcast to a class
    of 1,000 becomes 1,000 channel-layer messages in this process, each waking its consumer's
    task to be decoded and dispatched on its own. Here the process subscribes its relay channel
    once per carrier (a class's group, or the one group every user group shares: live.groups),
    keeps each group's local members, and hands each message to all members of its `group` in
    one pass, in the order the layer delivered them. Members implement `async deliver(message)`.

    A broadcast sent from this process is handed to the local members at once
    (`deliver_local`) and published with `origin` set to this fan-out's; when it comes back
    through the subscription it is skipped, so no socket gets it twice.
    """

    def __init__(self, layer) -> None:
        self.layer = layer
        self.origin = uuid.uuid4().hex
        self.members: dict[str, dict[object, None]] = {}  # group -> insertion-ordered set
        self.carried: dict[str, set[str]] = {}  # carrier -> the groups with members here
        # Joins and leaves are serialized: a carrier's subscription must not be dropped by a
        # leave while a join that still counts on it is in flight.
        self.lock = asyncio.Lock()
        self.channel: str | None = None
        self.task: asyncio.Task | None = None

    async def join(self, group: str, member: object) -> None:
        """Add a member; subscribe this process to the group's carrier first if it is not yet."""
        members = self.members.get(group)
        if members is not None:  # the common case, with nothing to wait for
            members[member] = None
            return
        async with self.lock:
            members = self.members.get(group)
            if members is None:
                name = carrier(group)
                if name not in self.carried:
                    if self.channel is None:
                        self.channel = await self.layer.new_channel()
                        self.task = asyncio.ensure_future(self._relay(self.channel))
                    await self.layer.group_add(name, self.channel)
                    self.carried[name] = set()
                self.carried[name].add(group)
                members = self.members[group] = {}
            members[member] = None

    async def leave(self, group: str, member: object) -> None:
        """Remove a member; unsubscribe from its carrier when the carrier serves nobody here."""
        members = self.members.get(group)
        if members is None or member not in members:
            return
        del members[member]
        if members:
            return
        async with self.lock:
            if self.members.get(group) is not members or members:
                return  # joined again meanwhile
            del self.members[group]
            name = carrier(group)
            self.carried[name].discard(group)
            if self.carried[name]:
                return
            del self.carried[name]
            await self.layer.group_discard(name, self.channel)
            if not self.carried and self.task is not None:
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
