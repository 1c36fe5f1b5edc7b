"""Every reliance on a library's internals, in one place, each covered by live/tests/test_compat.py.

Each entry here trades a private detail of a pinned library for speed on busy sockets. On
upgrading Channels, Daphne, Twisted or autobahn, run live/tests/test_compat.py first: it
fails when a detail relied on here has changed. README's "Upgrading" lists what to check.
"""

import asyncio
import contextlib
import functools
import logging
import random
import time
import uuid

from channels.exceptions import StopConsumer
from channels.layers import InMemoryChannelLayer, get_channel_layer
from channels.utils import await_many_dispatch
from channels_redis.pubsub import RedisPubSubChannelLayer
from channels_redis.utils import create_pool
from redis import asyncio as aioredis
from redis import exceptions as redis_errors
from redis.backoff import NoBackoff
from redis.retry import Retry

logger = logging.getLogger("attendance.ws")

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


# Daphne checks every connection's timeouts in this many turns of one period (its 2 s).
CHECK_TURNS = 20
CHECK_PERIOD_SECONDS = 2.0


def spread_keepalive() -> None:
    """Spread Daphne's keepalive pings, and its pass over every connection, over time.

    Every 2 s Daphne checks every connection's timeouts in one pass, and pings each socket that
    has been quiet for `--ping-interval` (20 s). A school's sockets open within a second or two of
    each other, so every 20 s nearly all of them were pinged in the same pass and answered
    together: at 2,050 sockets a stall of the worker of about 60 ms, with every mark in flight
    behind it. Here a socket's first ping falls at a random moment of its first interval (later
    ones follow a whole interval after), and the pass is cut into CHECK_TURNS turns, each checking
    its share of the connections, so that each connection is still checked once a period (a socket
    that opens after a period's turns were dealt waits for the next one: its pings and timeouts can
    come up to one period, 2 s, later than Daphne alone would send them).

    Relies on: `daphne.server.Server.timeout_checker` being scheduled by `Server.run` and
    calling itself again after the period, with `Server.connections` keyed by protocol and each
    protocol's `check_timeouts()`; and on `WebSocketProtocol.onConnect` setting `last_ping`,
    which `check_timeouts` compares with `server.ping_interval` to decide a ping.
    """
    from daphne import server as daphne_server
    from daphne import ws_protocol

    if getattr(daphne_server.Server.timeout_checker, "spread", False):
        return
    on_connect = ws_protocol.WebSocketProtocol.onConnect

    def onConnect(self, request):
        result = on_connect(self, request)
        if getattr(self, "last_ping", None) is not None:
            self.last_ping -= random.uniform(0, self.server.ping_interval)
        return result

    def timeout_checker(self):
        from twisted.internet import reactor

        turns = getattr(self, "timeout_turns", None)
        if not turns:  # a new period: every connection there is now, dealt to the turns
            pending = list(self.connections)
            turns = self.timeout_turns = [pending[turn::CHECK_TURNS] for turn in range(CHECK_TURNS)]
        reactor.callLater(CHECK_PERIOD_SECONDS / CHECK_TURNS, self.timeout_checker)
        for protocol in turns.pop():
            if protocol in self.connections:
                try:
                    protocol.check_timeouts()
                except Exception:  # one broken connection must not stop the checks of all the others
                    logger.exception("Checking a connection's timeouts failed")

    timeout_checker.spread = True
    ws_protocol.WebSocketProtocol.onConnect = onConnect
    daphne_server.Server.timeout_checker = timeout_checker


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
    and autobahn.twisted.websocket, and `pformat` of autobahn.websocket.protocol, looked up
    at call time.
    """
    from autobahn.twisted import websocket
    from autobahn.websocket import protocol

    for module in (protocol, websocket):
        module.hltype = module.hlval = _plain
    # Every new connection also pretty-prints its whole configuration for a debug line.
    protocol.pformat = _plain


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
    handler, a hop to the process's one shared sync thread each time: a broadcast touches no
    database, and a class of 1,000 would pay it 1,000 times per mark; every handshake and
    every frame of every socket would queue for that one thread (the one Django's sync views
    run on too), which a connect storm turns into seconds. A consumer whose handlers run their
    ORM work on threads that close stale connections themselves lists every type it handles.

    Relies on: `AsyncConsumer.dispatch(message)` being the one entry point of every
    channel-layer message, and handler names being the message type with dots as underscores.
    """

    direct_types: frozenset[str] = frozenset()

    async def dispatch(self, message: dict) -> None:
        if message["type"] in self.direct_types:
            await getattr(self, message["type"].replace(".", "_"))(message)
        else:
            await super().dispatch(message)


class WithoutChannel:
    """Consumer mixin: Channels' `AsyncConsumer.__call__` without a channel-layer channel of the socket's own.

    Channels subscribes every socket to a channel of its own before connect(), a Redis round
    trip per handshake (and another to leave it), and wakes a task per socket for each message.
    A consumer using this gets every message through the process's fan-out (live.membership):
    broadcasts it sends straight to the client; the rest it puts in `inbox`, where they are
    handled one at a time between the client's frames, as Channels would. `channel_name` stays
    a unique name for the socket (presence keys on it) that no channel layer knows.

    Relies on: `AsyncConsumer.__call__` setting `scope`, `channel_layer`, `channel_name` and
    `base_send` and then running `await_many_dispatch(receivers, self.dispatch)` until
    `StopConsumer`.
    """

    async def run_without_channel(self, scope, receive, send) -> None:
        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.channel_name = f"socket.{uuid.uuid4().hex}"
        self.base_send = send
        self.inbox: asyncio.Queue[dict] = asyncio.Queue()
        with contextlib.suppress(StopConsumer):  # a consumer's way to end cleanly
            await await_many_dispatch([receive, self.inbox.get], self.dispatch)


def text_frame(text: str) -> bytes:
    """One unfragmented, unmasked WebSocket text frame (RFC 6455 section 5.2), as a server sends it."""
    payload = text.encode("utf-8")
    size = len(payload)
    if size < 126:
        header = bytes((0x81, size))
    elif size < 65536:
        header = bytes((0x81, 126)) + size.to_bytes(2, "big")
    else:
        header = bytes((0x81, 127)) + size.to_bytes(8, "big")
    return header + payload


class Wire:
    """Write ready-made frames straight to one Daphne WebSocket connection.

    A class broadcast is the same frame for every socket (a server's frames are not masked),
    yet each send through ASGI goes through Daphne's reply coroutine, its protocol's checks,
    a UTF-8 encode and autobahn's framing, once per socket: for a class of 1,000 that is most
    of a mark's cost. Here the frame is built once (`text_frame`) and written to each
    connection that uses no compression, through autobahn's own `sendData` (which keeps its
    send queue's order), if it is still open; with compression they go the ASGI way.

    Relies on: Daphne's ASGI `send` being `functools.partial(server.handle_reply, protocol)`
    with an autobahn `WebSocketServerProtocol`, whose `state`, `STATE_OPEN`,
    `_perMessageCompress` and `sendData(bytes)` mean what they mean in autobahn 24/25.
    """

    def __init__(self, protocol) -> None:
        self.protocol = protocol

    @classmethod
    def behind(cls, send) -> "Wire | None":
        """The wire behind an ASGI `send` (unwrapping `__wrapped__`), or None if it is not Daphne's."""
        while hasattr(send, "__wrapped__"):
            send = send.__wrapped__
        if not isinstance(send, functools.partial) or getattr(send.func, "__name__", "") != "handle_reply":
            return None
        protocol = send.args[0] if send.args else None
        if not all(hasattr(protocol, name) for name in ("state", "STATE_OPEN", "sendData", "_perMessageCompress")):
            return None
        return cls(protocol)

    def plain(self) -> bool:
        """Whether frames may be written as built: no compression was agreed for this connection."""
        return self.protocol._perMessageCompress is None

    def write(self, frame: bytes) -> None:
        """Write a frame if the connection is open (closing or closed: dropped, as Daphne drops it)."""
        protocol = self.protocol
        if protocol.state == protocol.STATE_OPEN:
            protocol.sendData(frame)


class ResubscribingRedisPubSubLayer(RedisPubSubChannelLayer):
    """channels-redis's pub/sub layer whose subscriptions survive Redis restarts and outages.

    The stock layer subscribes on one connection and, when that connection dies, re-subscribes
    only what redis-py remembers having sent: a SUBSCRIBE that failed (the handshake's, right
    after a restart) is lost for good, and the failure is raised out of `group_add`. A Redis
    that stops answering without closing the connection hangs every publish and subscribe.
    Here each host is a `ResubscribingShard` (below).

    A consumer's own channel is made even while Redis is away (Channels makes it before the
    consumer's connect() runs, so a failure there would be an HTTP 500); it is subscribed as
    soon as Redis answers, and connect() refuses the socket cleanly when its groups cannot
    be joined.

    Relies on: `RedisPubSubChannelLayer._get_layer()` returning this event loop's
    `RedisPubSubLoopLayer`, whose `_shards` list holds one object per host with the host's
    connection options as `.host`, and which calls only `publish`, `subscribe`, `unsubscribe`
    and `flush` on them; on the loop layer's `channels` (name -> queue) and `groups`
    (group channel -> channel names) dicts, which the shard fills from what Redis delivers;
    and on its `prefix` and `_get_shard(name)`, with which `new_channel` names and places a channel.
    """

    def _get_layer(self):
        layer = super()._get_layer()
        if not isinstance(layer._shards[0], ResubscribingShard):
            layer._shards = [ResubscribingShard(shard.host, layer) for shard in layer._shards]
        return layer

    def carrying(self) -> bool:
        """Whether this process's subscriptions are live (False while a lost connection is being replaced).

        A socket that joins only groups the process already carries asks Redis nothing, so the
        handshake asks this instead: a socket opened now would miss what is published before
        the subscriptions are back.
        """
        return not any(shard.lost for shard in self._get_layer()._shards)

    async def new_channel(self, prefix: str = "specific.") -> str:
        """Return a new channel of this process, subscribed now or as soon as Redis answers."""
        layer = self._get_layer()
        channel = f"{layer.prefix}{prefix}{uuid.uuid4().hex}"
        layer.channels[channel] = asyncio.Queue()
        shard = layer._get_shard(channel)
        shard.want(channel)
        if shard.pubsub is not None:
            try:
                await asyncio.wait_for(shard.subscribe(channel, connect=False), shard.command_timeout)
            except CONNECTION_LOST as exc:
                logger.warning("New channel waits for Redis to be subscribed: %s: %s", type(exc).__name__, exc)
        return channel


# Errors after which a Redis connection is treated as gone.
CONNECTION_LOST = (redis_errors.ConnectionError, redis_errors.TimeoutError, TimeoutError, OSError)


class ResubscribingShard:
    """One Redis host of the pub/sub layer: publishes, and keeps every subscription of the process alive.

    `wanted` is every channel and group this process has subscribed to, whether or not the
    current connection carries it. When the connection fails (an error, or no answer to a
    PING within `silence_limit`), a fresh one subscribes everything wanted at once; until it
    succeeds, a receiver task tries again with a growing delay, and a `subscribe` during the
    outage fails fast (the caller refuses the socket rather than hang). Publishing uses its
    own connections with timeouts, so a stuck publish never holds up a subscription.
    """

    connect_timeout = 2.0
    command_timeout = 3.0
    ping_interval = 5.0
    silence_limit = 15.0
    first_backoff = 0.2
    max_backoff = 5.0

    def __init__(self, host: dict, layer) -> None:
        self.host = host
        self.layer = layer
        self.wanted: set[str] = set()
        self.lock = asyncio.Lock()  # subscription changes and reconnects, one at a time
        self.client = None
        self.pubsub = None  # the live subscribing connection's PubSub, None while down
        self.publisher = None
        self.receiver: asyncio.Task | None = None
        self.retry_at = 0.0
        self.backoff = self.first_backoff
        self.lost = False
        self.last_heard = self.last_ping = 0.0

    def _redis(self, retries: int):
        options = {
            "socket_connect_timeout": self.connect_timeout,
            "socket_timeout": self.command_timeout,
            "socket_keepalive": True,
            "retry": Retry(NoBackoff(), retries),
            **self.host,
        }
        return aioredis.Redis(connection_pool=create_pool(options))

    async def publish(self, channel: str, message: bytes) -> None:
        if self.publisher is None:
            # One quick retry: a pooled connection left over from before a Redis restart fails once.
            self.publisher = self._redis(retries=1)
        await self.publisher.publish(channel, message)

    def want(self, channel: str) -> None:
        """Add a channel to what this process subscribes to, now or on the next connection."""
        self.wanted.add(channel)
        if self.receiver is None:
            self.receiver = asyncio.ensure_future(self._receive())

    async def subscribe(self, channel: str, *, connect: bool = True) -> None:
        """Subscribe now; while Redis is away, try a fresh connection (`connect`) or leave it to the receiver.

        While Redis is lost and a reconnect is under way (it holds the lock for up to a connect
        and a PING), this fails at once rather than queue behind it: the channel is wanted, so
        the reconnect subscribes it, and a handshake waiting here would only add seconds to an
        outage. The first connection of the process is waited for, as any subscription is.
        """
        if self.pubsub is None and self.lost and self.lock.locked():
            self.want(channel)
            raise redis_errors.ConnectionError("Redis is unavailable; the channel layer is reconnecting")
        async with self.lock:
            self.want(channel)
            if self.pubsub is not None:
                try:
                    await asyncio.wait_for(self.pubsub.subscribe(channel), self.command_timeout)
                    return
                except CONNECTION_LOST as exc:
                    await self._drop(exc)
            if connect:
                await self._connect()

    async def unsubscribe(self, channel: str) -> None:
        if self.pubsub is None:
            self.wanted.discard(channel)  # never subscribed again; a reconnect under way drops it after
            return
        async with self.lock:
            if channel not in self.wanted:
                return
            self.wanted.discard(channel)
            if self.pubsub is None:
                return  # the next connection subscribes only what is wanted
            try:
                await asyncio.wait_for(self.pubsub.unsubscribe(channel), self.command_timeout)
            except CONNECTION_LOST as exc:
                await self._drop(exc)

    async def flush(self) -> None:
        async with self.lock:
            if self.receiver is not None:
                self.receiver.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self.receiver
                self.receiver = None
            await self._drop(None)
            if self.publisher is not None:
                await self._close(self.publisher)
                self.publisher = None
            self.wanted = set()

    async def _connect(self) -> None:
        """Subscribe everything wanted on a fresh connection; raise when Redis cannot be reached."""
        loop = asyncio.get_running_loop()
        if loop.time() < self.retry_at:
            raise redis_errors.ConnectionError("Redis is unavailable; the channel layer is retrying")
        client = self._redis(retries=0)
        pubsub = client.pubsub()
        try:
            subscribed = set(self.wanted)
            await asyncio.wait_for(pubsub.subscribe(*subscribed), self.connect_timeout + self.command_timeout)
            await self._confirm(pubsub)
            if missing := self.wanted - subscribed:  # wanted meanwhile
                await asyncio.wait_for(pubsub.subscribe(*missing), self.command_timeout)
            if extra := subscribed - self.wanted:  # left meanwhile
                await asyncio.wait_for(pubsub.unsubscribe(*extra), self.command_timeout)
        except BaseException as exc:
            await self._close(client)
            if isinstance(exc, CONNECTION_LOST):
                self.lost = True
                self.retry_at = loop.time() + self.backoff
                self.backoff = min(self.backoff * 2, self.max_backoff)
            raise
        self.client, self.pubsub = client, pubsub
        self.retry_at, self.backoff = 0.0, self.first_backoff
        self.last_heard = self.last_ping = loop.time()
        if self.lost:
            self.lost = False
            logger.warning("Channel layer reconnected to Redis; re-subscribed %d channels and groups", len(self.wanted))

    async def _confirm(self, pubsub) -> None:
        """Wait for Redis to answer a PING on a new connection: a host that accepts connections and
        then says nothing (a network partition) must not pass for a working one."""
        loop = asyncio.get_running_loop()
        await asyncio.wait_for(pubsub.ping(), self.command_timeout)
        deadline = loop.time() + self.command_timeout
        while (left := deadline - loop.time()) > 0:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=left)
            if message is not None and message.get("type") == "pong":
                return
            if message is not None:
                self._deliver(message)
        raise TimeoutError("Redis did not answer a PING")

    async def _drop(self, exc: BaseException | None) -> None:
        if self.client is None:
            return
        if exc is not None:
            self.lost = True
            logger.warning("Channel layer lost its Redis connection (%s: %s); re-subscribing", type(exc).__name__, exc)
        client, self.client, self.pubsub = self.client, None, None
        await self._close(client)

    async def _close(self, client) -> None:
        try:
            await asyncio.wait_for(client.aclose(close_connection_pool=True), 1)
        except Exception:  # a dead connection may fail to close: it is dropped all the same
            logger.debug("Closing a Redis connection failed", exc_info=True)

    async def _receive(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            pubsub = self.pubsub
            if pubsub is None or not self.wanted:
                if self.wanted:
                    await self._recover()
                else:
                    await asyncio.sleep(0.1)
                continue
            try:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
                now = loop.time()
                if message is not None:
                    self.last_heard = now
                    self._deliver(message)
                elif now - self.last_heard > self.silence_limit:
                    raise TimeoutError(f"no answer from Redis for {self.silence_limit:.0f}s")
                elif now - self.last_ping >= self.ping_interval:
                    self.last_ping = now
                    await asyncio.wait_for(pubsub.ping(), self.command_timeout)
            except CONNECTION_LOST as exc:
                async with self.lock:
                    if self.pubsub is pubsub:
                        await self._drop(exc)
            except Exception as exc:
                logger.exception("Channel layer receive failed; reconnecting")
                async with self.lock:
                    if self.pubsub is pubsub:
                        await self._drop(exc)
                await asyncio.sleep(1)

    async def _recover(self) -> None:
        loop = asyncio.get_running_loop()
        async with self.lock:
            if self.pubsub is not None or not self.wanted:
                return
            try:
                await self._connect()
                return
            except CONNECTION_LOST as exc:
                logger.debug("Channel layer still cannot reach Redis: %s", exc)
        await asyncio.sleep(max(self.retry_at - loop.time(), 0.05))

    def _deliver(self, message: dict) -> None:
        name = message.get("channel")
        if message.get("type") != "message" or name is None:
            return  # a PONG: proof of life only
        if isinstance(name, bytes):
            name = name.decode()
        channels = self.layer.channels
        if name in channels:
            channels[name].put_nowait(message["data"])
        elif name in self.layer.groups:
            for channel in self.layer.groups[name]:
                if channel in channels:
                    channels[channel].put_nowait(message["data"])
