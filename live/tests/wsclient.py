"""Drive the real ASGI application's `/ws` in-process."""

import asyncio
import json
from collections.abc import Callable

from channels.testing import WebsocketCommunicator

from attendance_project.asgi import application

TIMEOUT = 3


class Client:
    """A WebSocket client on the in-process application, speaking JSON frames."""

    def __init__(self, path: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
        self.comm = WebsocketCommunicator(application, path, headers=headers or [])

    @classmethod
    async def open(cls, token: str | None = None, *, path: str | None = None, headers=None) -> "Client":
        client = cls(path or (f"/ws?token={token}" if token is not None else "/ws"), headers)
        connected, _ = await client.comm.connect(timeout=TIMEOUT)
        assert connected
        return client

    async def send(self, event: str, data: dict | None = None) -> None:
        frame = {"event": event}
        if data is not None:
            frame["data"] = data
        await self.comm.send_to(text_data=json.dumps(frame))

    async def send_raw(self, text: str | None = None, binary: bytes | None = None) -> None:
        await self.comm.send_to(text_data=text, bytes_data=binary)

    async def recv(self) -> dict:
        return json.loads(await self.comm.receive_from(timeout=TIMEOUT))

    async def expect(self, event: str, **fields) -> dict:
        """Receive the next frame, assert its event and the given data fields, return its data."""
        frame = await self.recv()
        assert frame["event"] == event, frame
        for key, value in fields.items():
            assert frame["data"][key] == value, frame
        return frame["data"]

    async def error(self, message: str) -> None:
        await self.expect("ERROR", message=message)

    async def nothing(self, timeout: float = 0.2) -> None:
        assert await self.comm.receive_nothing(timeout=timeout), "received an unexpected frame"

    async def closed(self) -> int:
        output = await self.comm.receive_output(timeout=TIMEOUT)
        assert output["type"] == "websocket.close", output
        return output.get("code")

    async def close(self) -> None:
        await self.comm.disconnect()


async def eventually(condition: Callable[[], bool], seconds: float = TIMEOUT) -> bool:
    """Wait until `condition()` holds (work the server finishes in the background); return it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition() and loop.time() < deadline:
        await asyncio.sleep(0.01)
    return condition()
