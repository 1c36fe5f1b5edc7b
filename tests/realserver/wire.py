"""Talk to a real server over the network, as an API client would."""

import asyncio
import json
import urllib.error
import urllib.request

from websockets.asyncio.client import connect

TIMEOUT = 10


def http(base: str, method: str, path: str, body: object = None, token: str | None = None) -> tuple[int, dict]:
    """Send one JSON request; return (status, decoded body)."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = token
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


class Socket:
    """A real WebSocket client speaking the contract's frames."""

    def __init__(self, connection) -> None:
        self.connection = connection

    @classmethod
    async def open(cls, ws_url: str, token: str) -> "Socket":
        return cls(await connect(f"{ws_url}?token={token}", open_timeout=TIMEOUT, max_queue=None))

    async def send(self, event: str, data: dict | None = None) -> None:
        await self.connection.send(json.dumps({"event": event, "data": data or {}}))

    async def recv(self, timeout: float = TIMEOUT) -> dict:
        return json.loads(await asyncio.wait_for(self.connection.recv(), timeout))

    async def expect(self, event: str, timeout: float = TIMEOUT, **fields) -> dict:
        frame = await self.recv(timeout)
        assert frame["event"] == event, frame
        for key, value in fields.items():
            assert frame["data"][key] == value, frame
        return frame["data"]

    async def nothing(self, timeout: float = 0.3) -> None:
        try:
            frame = await asyncio.wait_for(self.connection.recv(), timeout)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected frame {frame}")

    async def close(self) -> None:
        await self.connection.close()
