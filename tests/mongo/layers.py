"""A channel layer that serializes like Redis does, so an ObjectId in a message fails here too."""

import msgpack
from channels.layers import InMemoryChannelLayer


def through_msgpack(message: dict) -> dict:
    """Return the message as channels-redis would deliver it; raise on what msgpack refuses."""
    return msgpack.unpackb(msgpack.packb(message, use_bin_type=True), raw=False)


class MsgpackInMemoryChannelLayer(InMemoryChannelLayer):
    """The in-memory layer, with every message round-tripped through msgpack."""

    async def send(self, channel: str, message: dict) -> None:
        await super().send(channel, through_msgpack(message))

    async def group_send(self, group: str, message: dict) -> None:
        # Also checked when nobody is in the group: the Redis layer serializes before sending.
        await super().group_send(group, through_msgpack(message))
