"""A small TCP proxy a test controls: pass bytes through, or make every connection hang.

    proxy = TcpProxy(target_port=redis.port).start()   # clients connect to proxy.port
    proxy.hang()      # nothing moves either way; new connections are accepted and then hang
    proxy.resume()    # what was held back flows on: the connections were never broken

`hang()` is a network partition as the server's clients see it: no reset, no FIN, every
write sits in a buffer and every read waits, unlike a restart that closes connections at
once. `reset()` drops every connection instead. The proxy runs its own event loop in a
thread, so it keeps forwarding while the test's loop is busy.
"""

from __future__ import annotations

import asyncio
import threading

from harness.processes import free_port

CHUNK = 65536


class TcpProxy:
    """Forward 127.0.0.1:`port` to 127.0.0.1:`target_port`; `hang()`, `resume()`, `reset()`."""

    def __init__(self, target_port: int, port: int | None = None) -> None:
        self.target_port = target_port
        self.port = port or free_port()
        self.connections = 0  # accepted since start, for the tests' own checks
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._flowing: asyncio.Event | None = None
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    def start(self) -> TcpProxy:
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._listen())
            except OSError as error:  # the port was taken: reported to start()
                failure.append(error)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

        self._thread = threading.Thread(target=run, name=f"tcp-proxy-{self.port}", daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            raise failure[0]
        return self

    async def _listen(self) -> None:
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def _serve(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.add(client_writer)
        try:
            await self._flowing.wait()  # a connection made during a hang hangs too
            upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            self._writers.discard(client_writer)
            client_writer.close()
            return
        self._writers.add(upstream_writer)
        await asyncio.gather(
            self._pipe(client_reader, upstream_writer),
            self._pipe(upstream_reader, client_writer),
            return_exceptions=True,
        )
        for writer in (client_writer, upstream_writer):
            self._writers.discard(writer)
            writer.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                data = await reader.read(CHUNK)
                await self._flowing.wait()  # held here while hanging: read, never delivered
                if not data:
                    break
                writer.write(data)
                await writer.drain()
        finally:
            # One side ended: end the other, so neither end waits on a half-dead connection.
            writer.close()

    def _call(self, function) -> None:
        if self._loop is None:
            raise RuntimeError("the proxy is not started")
        done = threading.Event()

        def call() -> None:
            try:
                function()
            finally:
                done.set()

        self._loop.call_soon_threadsafe(call)
        done.wait(10)

    def hang(self) -> None:
        """Stop moving bytes both ways; keep every connection open."""
        self._call(self._flowing.clear)

    def resume(self) -> None:
        """Move bytes again, the held ones first."""
        self._call(self._flowing.set)

    def reset(self) -> None:
        """Drop every open connection (new ones are still accepted)."""

        def drop() -> None:
            for writer in list(self._writers):
                transport = writer.transport
                if transport is not None:
                    transport.abort()
            self._writers.clear()

        self._call(drop)

    def stop(self) -> None:
        """Close the listener and every connection, and end the thread."""
        if self._loop is None:
            return
        self.reset()

        def close() -> None:
            if self._server is not None:
                self._server.close()
            self._flowing.set()
            self._loop.stop()

        self._loop.call_soon_threadsafe(close)
        if self._thread is not None:
            self._thread.join(10)
        self._loop = None

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
