"""The groups one socket belongs to (live.groups names them).

Its user's group; each of its classes; and, once the client opted in to the extension, each
class's extension group: all through the process's fan-out (live.fanout), so that a socket has
no channel-layer subscription of its own.
"""

from live import groups
from live.fanout import local_fanout


class Membership:
    """Join and leave a socket's groups; `classes` maps each class id to its teacher's id."""

    def __init__(self, consumer, layer) -> None:
        self.consumer = consumer
        self.fanout = local_fanout(layer)
        self.classes: dict[str, str] = {}
        self.opted_in = False

    async def join(self, user_id: str, classes: dict[str, str]) -> None:
        """Join the user's group and every class's."""
        await self.fanout.join(groups.user_group(user_id), self.consumer)
        for class_id, teacher_id in classes.items():
            await self.add_class(class_id, teacher_id)

    async def add_class(self, class_id: str, teacher_id: str) -> None:
        """Join a class's groups, once."""
        if class_id in self.classes:
            return
        self.classes[class_id] = teacher_id
        await self.fanout.join(groups.class_group(class_id), self.consumer)
        if self.opted_in:
            await self.fanout.join(groups.class_live_group(class_id), self.consumer)

    async def remove_class(self, class_id: str) -> bool:
        """Leave a class's groups; return whether the socket was in them."""
        if self.classes.pop(class_id, None) is None:
            return False
        await self.fanout.leave(groups.class_group(class_id), self.consumer)
        await self.fanout.leave(groups.class_live_group(class_id), self.consumer)
        return True

    async def opt_in(self) -> None:
        """Join the extension groups of every class."""
        if self.opted_in:
            return
        self.opted_in = True
        for class_id in list(self.classes):
            await self.fanout.join(groups.class_live_group(class_id), self.consumer)

    async def leave(self, user_id: str) -> None:
        """Leave every group."""
        for class_id in list(self.classes):
            await self.fanout.leave(groups.class_group(class_id), self.consumer)
            if self.opted_in:
                await self.fanout.leave(groups.class_live_group(class_id), self.consumer)
        await self.fanout.leave(groups.user_group(user_id), self.consumer)
