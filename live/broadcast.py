"""The one way anything reaches WebSocket clients: group names and payload shapes.

Groups (live.groups names them; each worker process subscribes once per carrier and hands
each message to its own sockets of the group, live.fanout.LocalFanout):
- `class.<id>`: every connection of a class (its teacher and enrolled students);
  base-contract broadcasts (ATTENDANCE_MARKED, TODAY_SUMMARY, DONE) go here. The sending
  process hands a broadcast to its own sockets first and then publishes it, tagged with its
  origin so that its own subscription skips it when it comes back.
- `class.<id>.live`: connections of that class that opted in to the extension;
  SESSION_STARTED / SESSION_ENDED go here, so base clients never see them.
- `user.<id>`: every connection of one user; roster changes and presence go here.

Call these only after the write they announce has committed.
"""

import asyncio
import contextlib
import json
import logging
import weakref

from channels.layers import get_channel_layer

from core.errors import ApplicationError, Messages
from live.fanout import local_fanout
from live.groups import carrier, class_group, class_live_group, user_group

logger = logging.getLogger("attendance.ws")

# Consumer handler names (the `type` of channel-layer messages).
FRAME = "live.frame"
SESSIONS = "live.sessions"
ENROLLED = "live.enrolled"
UNENROLLED = "live.unenrolled"
REVOKED = "live.revoked"


def frame(event: str, data: dict | None = None) -> dict:
    """Build a wire frame."""
    return {"event": event, "data": data or {}}


def _message(group: str, event: str, data: dict, *, extension: bool) -> dict:
    # Serialized once here rather than once per receiving socket. The group is named so that a
    # process's one subscription to its carrier (live.fanout.LocalFanout) knows whose sockets to serve.
    return {"type": FRAME, "group": group, "text": encode(frame(event, data)), "extension": extension}


def encode(wire_frame: dict) -> str:
    """Serialize a frame compactly."""
    return json.dumps(wire_frame, separators=(",", ":"))


class BroadcastFailed(ApplicationError):
    """The write committed but the channel layer (Redis) could not carry its announcement."""

    def __init__(self) -> None:
        super().__init__(Messages.WS_BROADCAST_FAILED, 503)


async def _group_send(group: str, message: dict) -> None:
    try:
        await get_channel_layer().group_send(carrier(group), message)
    except Exception as exc:
        logger.warning("Broadcast to %s failed: %s", group, exc)
        raise BroadcastFailed() from exc


async def to_class(class_id: str, event: str, data: dict) -> None:
    """Send a base-contract broadcast to every connection of a class: this process's sockets first.

    The Redis round trip then only stands between the write and the sockets of other workers.
    Should publishing fail, this process's sockets have the broadcast and the caller gets
    BroadcastFailed (the other workers' sockets do not).
    """
    group = class_group(class_id)
    message = _message(group, event, data, extension=False)
    fanout = local_fanout(get_channel_layer())
    message["origin"] = fanout.origin
    await fanout.deliver_local(message)
    await _group_send(group, message)


async def to_class_live(class_id: str, event: str, data: dict) -> None:
    """Send an extension event to the opted-in connections of a class."""
    group = class_live_group(class_id)
    await _group_send(group, _message(group, event, data, extension=True))


async def to_user_sockets(user_id: str, message: dict) -> None:
    """Send a channel-layer message (not a frame) to every connection of one user."""
    group = user_group(user_id)
    await _group_send(group, {**message, "group": group})


async def to_user(user_id: str, event: str, data: dict) -> None:
    """Send an extension event to the opted-in connections of one user."""
    group = user_group(user_id)
    await _group_send(group, _message(group, event, data, extension=True))


class Outbox:
    """Extension frames for users, sent a burst at a time: one publish per user per burst.

    A school's phones connecting at 9:00 tell each teacher, student by student, who came
    online: hundreds of PRESENCE frames a second for a few teachers. Frames added while the
    previous burst is being published go out together in the next, in the order added, as
    one channel-layer message per user that the user's sockets unpack (`texts`). A burst
    that cannot be published is logged and dropped: what is sent this way is best effort.
    """

    def __init__(self) -> None:
        self.pending: dict[str, list[str]] = {}
        self.task: asyncio.Task | None = None

    def add(self, user_id: str, event: str, data: dict) -> None:
        self.pending.setdefault(user_id, []).append(encode(frame(event, data)))
        if self.task is None:
            self.task = asyncio.ensure_future(self._drain())

    async def _drain(self) -> None:
        try:
            while self.pending:
                burst, self.pending = self.pending, {}
                for user_id, texts in burst.items():
                    group = user_group(user_id)
                    message = {"type": FRAME, "group": group, "texts": texts, "extension": True}
                    with contextlib.suppress(BroadcastFailed):  # logged by _group_send
                        await _group_send(group, message)
        finally:
            self.task = None


_outboxes: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Outbox]" = weakref.WeakKeyDictionary()


def to_user_soon(user_id: str, event: str, data: dict) -> None:
    """Send an extension event to the opted-in connections of one user, with others of its burst."""
    loop = asyncio.get_running_loop()
    outbox = _outboxes.get(loop)
    if outbox is None:
        outbox = _outboxes[loop] = Outbox()
    outbox.add(user_id, event, data)


def session_fields(session) -> dict:
    """The extension's fields of a session's broadcasts: its id and `seq`, its version after the write."""
    return {"classId": str(session.klass_id), "sessionId": str(session.pk), "seq": session.version}


def done_data(session, summary: dict) -> dict:
    """Payload of DONE: the contract's fields plus the class, the session and its `seq`."""
    return {"message": "Attendance persisted", **summary, **session_fields(session)}
