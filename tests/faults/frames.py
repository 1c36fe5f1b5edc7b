"""Reading frames on sockets that opted in to the extension."""

from tests.realserver.wire import Socket

# Extension events an opted-in socket may hear at any moment (someone came online, a session began).
BACKGROUND = {"PRESENCE", "SESSION_STARTED"}


async def expect_past_background(socket: Socket, event: str, **fields) -> dict:
    """Return the data of the next `event` frame, skipping background extension events."""
    frame = await socket.recv()
    while frame["event"] in BACKGROUND and event not in BACKGROUND:
        frame = await socket.recv()
    assert frame["event"] == event, frame
    for key, value in fields.items():
        assert frame["data"][key] == value, frame
    return frame["data"]
