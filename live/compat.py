"""Every reliance on a library's internals, in one place, each covered by live/tests/test_compat.py.

Each entry here trades a private detail of a pinned library for speed on busy sockets. On
upgrading Channels, Daphne, Twisted or autobahn, run live/tests/test_compat.py first: it
fails when a detail relied on here has changed. README's "Upgrading" lists what to check.
"""

import time

from channels.layers import InMemoryChannelLayer

# Daphne ------------------------------------------------------------------------------


def use_access_log(generator_class) -> None:
    """Make Daphne's command line log accesses through `generator_class`.

    Relies on: `daphne.cli.CommandLineInterface.run` building its access log from the
    module-level name `AccessLogGenerator`, looked up at call time.
    """
    from daphne import cli

    cli.AccessLogGenerator = generator_class


def listen_backlog(backlog: int) -> None:
    """Make Daphne's TCP listening sockets queue up to `backlog` connections not yet accepted.

    Twisted listens with a backlog of 50: at 8:00, with a school's phones connecting at once
    (hundreds of handshakes in flight), the kernel drops the SYNs beyond it and those
    clients retry a second later. The kernel still caps the value at net.core.somaxconn.

    Relies on: `daphne.cli.CommandLineInterface.run` building its endpoints from the
    module-level name `build_endpoint_description_strings`, looked up at call time, and
    TCP endpoints being Twisted's `tcp:` description strings (which take `backlog=`).
    """
    from daphne import cli

    build = getattr(cli.build_endpoint_description_strings, "builds", cli.build_endpoint_description_strings)

    def with_backlog(*args, **kwargs):
        return [
            f"{endpoint}:backlog={backlog}" if endpoint.startswith("tcp:") else endpoint
            for endpoint in build(*args, **kwargs)
        ]

    with_backlog.builds = build
    cli.build_endpoint_description_strings = with_backlog


# Twisted -----------------------------------------------------------------------------


def send_at_once() -> None:
    """Make Twisted's TCP transports send straight away when nothing is queued.

    Twisted's `write()` only buffers and asks the reactor to watch the socket for
    writability; on the asyncio reactor that is an epoll_ctl() to start watching, a loop
    pass, the send, and another epoll_ctl() to stop: per frame, per socket. A broadcast to
    a class of 1,000 paid that 1,000 times. Here a write to a transport with an empty
    buffer tries the socket first (as asyncio's own transports do) and hands Twisted only
    what the socket did not take, so ordering, back-pressure and error handling (a failed
    send leaves the data to Twisted, whose next write attempt reports the lost
    connection) stay Twisted's.

    Relies on: `tcp.Connection.write` being FileDescriptor's buffering write, and on the
    connection's `TLS`, `connected`, `disconnecting`, `_writeDisconnected`, `dataBuffer`,
    `_tempDataLen` and `socket` attributes meaning what they mean in Twisted 25.
    """
    from twisted.internet import tcp

    if getattr(tcp.Connection.write, "sends_at_once", False):
        return
    buffered_write = tcp.Connection.write

    def write(self, data):
        if (
            self.TLS
            or not self.connected
            or self.disconnecting
            or self._writeDisconnected
            or self.dataBuffer
            or self._tempDataLen
            or not isinstance(data, bytes)
            or not data
        ):
            return buffered_write(self, data)
        try:
            sent = self.socket.send(data)
        except OSError:
            sent = 0  # would block, or broken: Twisted's own path deals with it
        if sent < len(data):
            buffered_write(self, data[sent:])
        return None

    write.sends_at_once = True
    tcp.Connection.write = write


# autobahn ----------------------------------------------------------------------------


def quiet_autobahn() -> None:
    """Stop autobahn from colouring debug-log arguments that are never logged.

    Every frame sent or read calls `log.debug(..., func=hltype(...), peer=hlval(...))`, and the
    arguments are built (terminal colour codes through click) even with debug logging off:
    a few percent of a busy worker's CPU. Debug lines, if enabled, show the values plainly.

    Relies on: `hltype` and `hlval` being module-level names of autobahn.websocket.protocol
    and autobahn.twisted.websocket, looked up at call time.
    """
    from autobahn.twisted import websocket
    from autobahn.websocket import protocol

    for module in (protocol, websocket):
        module.hltype = module.hlval = _plain


def _plain(value, *args, **kwargs):
    return value


# Channels ----------------------------------------------------------------------------


class SweepingInMemoryChannelLayer(InMemoryChannelLayer):
    """Channels' in-memory layer, sweeping expired messages once a second.

    The stock layer scans every channel and group on every receive and group_send, which
    makes one broadcast to N sockets cost O(N²); a class of 1,000 stalls on it.

    Relies on: `InMemoryChannelLayer.receive` and `group_send` calling `self._clean_expired()`.
    """

    sweep_interval = 1.0
    _last_sweep = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._last_sweep < self.sweep_interval:
            return
        self._last_sweep = now
        super()._clean_expired()


class DirectDispatch:
    """Consumer mixin: hand `direct_types` messages to their handler without Channels' detour.

    Channels' `AsyncConsumer.dispatch` closes stale database connections before every
    handler, a thread hop each time; a broadcast touches no database, and a class of 1,000
    would pay it 1,000 times per mark.

    Relies on: `AsyncConsumer.dispatch(message)` being the one entry point of every
    channel-layer message, and handler names being the message type with dots as underscores.
    """

    direct_types: frozenset[str] = frozenset()

    async def dispatch(self, message: dict) -> None:
        if message["type"] in self.direct_types:
            await getattr(self, message["type"].replace(".", "_"))(message)
        else:
            await super().dispatch(message)
