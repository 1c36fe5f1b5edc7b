"""The groups one socket belongs to (live.broadcast names them).

Its user's group; each of its classes through the process's fan-out (live.fanout); and,
once the client opted in to the extension, each class's extension group.
"""

from live import broadcast
from live.fanout import local_fanout


class Membership:
    """Join and leave a socket's groups; `classes` maps each class id to its teacher's id."""

    def __init__(self, consumer) -> None:
        self.consumer = consumer
        self.layer = consumer.channel_layer
        self.fanout = local_fanout(self.layer)
        self.classes: dict[str, str] = {}
        self.opted_in = False

    async def join(self, user_id: str, classes: dict[str, str]) -> None:
        """Join the user's group and every class's."""
        await self.layer.group_add(broadcast.user_group(user_id), self.consumer.channel_name)
        for class_id, teacher_id in classes.items():
            await self.add_class(class_id, teacher_id)

    async def add_class(self, class_id: str, teacher_id: str) -> None:
        """Join a class's groups, once."""
        if class_id in self.classes:
            return
        self.classes[class_id] = teacher_id
        await self.fanout.join(broadcast.class_group(class_id), self.consumer)
        if self.opted_in:
            await self.layer.group_add(broadcast.class_live_group(class_id), self.consumer.channel_name)

    async def remove_class(self, class_id: str) -> bool:
        """Leave a class's groups; return whether the socket was in them."""
        if self.classes.pop(class_id, None) is None:
            return False
        await self.fanout.leave(broadcast.class_group(class_id), self.consumer)
        await self.layer.group_discard(broadcast.class_live_group(class_id), self.consumer.channel_name)
        return True

    async def opt_in(self) -> None:
        """Join the extension groups of every class."""
        if self.opted_in:
            return
        self.opted_in = True
        for class_id in self.classes:
            await self.layer.group_add(broadcast.class_live_group(class_id), self.consumer.channel_name)

    async def leave(self, user_id: str) -> None:
        """Leave every group."""
        for class_id in self.classes:
            await self.fanout.leave(broadcast.class_group(class_id), self.consumer)
        groups = [broadcast.user_group(user_id)]
        if self.opted_in:
            groups += [broadcast.class_live_group(class_id) for class_id in self.classes]
        for group in groups:
            await self.layer.group_discard(group, self.consumer.channel_name)
