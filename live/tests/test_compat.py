"""One test per reliance on a library's internals (live.compat): each fails loudly when the
pinned library no longer does what the patch relies on."""

import asyncio
import inspect
import socket

import pytest
from channels.consumer import AsyncConsumer
from channels.exceptions import StopConsumer
from channels.layers import InMemoryChannelLayer

from live import compat


def test_daphne_builds_its_access_log_from_the_module_name(monkeypatch):
    from daphne import cli
    from daphne.access import AccessLogGenerator

    monkeypatch.setattr(cli, "AccessLogGenerator", AccessLogGenerator)
    assert "AccessLogGenerator(access_log_stream)" in inspect.getsource(cli.CommandLineInterface.run)

    class Mine(AccessLogGenerator):
        pass

    compat.use_access_log(Mine)
    assert cli.AccessLogGenerator is Mine


def test_daphne_listens_with_the_backlog_asked_for(monkeypatch):
    from daphne import cli, endpoints

    monkeypatch.setattr(cli, "build_endpoint_description_strings", endpoints.build_endpoint_description_strings)
    assert "build_endpoint_description_strings(" in inspect.getsource(cli.CommandLineInterface.run)
    compat.listen_backlog(1024)
    compat.listen_backlog(1024)  # twice (a second server start in one process) is still once
    built = cli.build_endpoint_description_strings(host="127.0.0.1", port=8000, unix_socket="/tmp/s")
    assert sorted(built) == ["tcp:port=8000:interface=127.0.0.1:backlog=1024", "unix:/tmp/s"]


def test_twisteds_tcp_endpoint_description_takes_a_backlog():
    from twisted.internet import endpoints, reactor

    endpoint = endpoints.serverFromString(reactor, "tcp:port=0:interface=127.0.0.1:backlog=1024")
    assert endpoint._backlog == 1024


class FakeReactor:
    """Just enough reactor for a Twisted transport's buffered write path."""

    def __init__(self) -> None:
        self.writers = []

    def addWriter(self, writer) -> None:
        self.writers.append(writer)

    def removeWriter(self, writer) -> None:
        self.writers.remove(writer)


@pytest.fixture
def connection(monkeypatch):
    from twisted.internet import abstract, tcp

    # Twisted's own write, whatever an earlier server start in this process did.
    monkeypatch.setattr(tcp.Connection, "write", abstract.FileDescriptor.write)
    ours, peer = socket.socketpair()
    ours.setblocking(False)
    conn = tcp.Connection(ours, None, FakeReactor())
    conn.connected = True
    yield conn, peer
    ours.close()
    peer.close()


def test_twisted_transport_has_what_send_at_once_reads(connection):
    from twisted.internet import abstract, tcp

    conn, _peer = connection
    assert tcp.Connection.write is abstract.FileDescriptor.write
    assert (conn.TLS, conn.disconnecting, conn._writeDisconnected, conn.dataBuffer, conn._tempDataLen) == (
        False,
        False,
        False,
        b"",
        0,
    )
    assert isinstance(conn.socket, socket.socket)
    # Twisted's write only buffers: nothing reaches the socket until the reactor says it is writable.
    conn.write(b"queued")
    assert conn._tempDataLen == len(b"queued") and conn.reactor.writers == [conn]


def test_send_at_once_writes_straight_to_the_socket_and_keeps_order_behind_a_queue(connection):
    conn, peer = connection
    compat.send_at_once()
    conn.write(b"hello")
    assert peer.recv(100) == b"hello" and conn.reactor.writers == []
    conn.dataBuffer = b"earlier"  # something is queued: the new data must wait behind it
    conn.write(b"later")
    assert conn._tempDataLen == len(b"later")


def test_autobahn_looks_up_hltype_and_hlval_at_call_time(monkeypatch):
    from autobahn.twisted import websocket
    from autobahn.websocket import protocol

    for module in (protocol, websocket):
        monkeypatch.setattr(module, "hltype", module.hltype)
        monkeypatch.setattr(module, "hlval", module.hlval)
    monkeypatch.setattr(protocol, "pformat", protocol.pformat)
    assert "hltype(" in inspect.getsource(protocol.WebSocketProtocol.sendData)
    assert "hlval(" in inspect.getsource(websocket.WebSocketAdapterProtocol.connectionMade)
    assert "pformat(" in inspect.getsource(protocol.WebSocketProtocol._connectionMade)
    compat.quiet_autobahn()
    assert protocol.hltype(len) is len and websocket.hlval("peer") == "peer"
    assert protocol.pformat(["config"]) == ["config"]


async def test_in_memory_layer_sweeps_through_clean_expired_and_ours_sweeps_once_a_second(monkeypatch):
    calls = []
    original = InMemoryChannelLayer._clean_expired
    monkeypatch.setattr(InMemoryChannelLayer, "_clean_expired", lambda self: calls.append(1) or original(self))

    stock = InMemoryChannelLayer()
    await stock.group_add("g", "c1")
    await stock.group_send("g", {"type": "x"})
    await stock.receive("c1")
    assert len(calls) == 2  # the stock layer sweeps on every group_send and receive

    calls.clear()
    layer = compat.SweepingInMemoryChannelLayer()
    await layer.group_add("g", "c1")
    for _ in range(50):
        await layer.group_send("g", {"type": "x"})
    assert len(calls) == 1


async def test_expired_messages_are_still_swept():
    layer = compat.SweepingInMemoryChannelLayer(expiry=0)
    layer.sweep_interval = 0
    await layer.send("c1", {"type": "x"})
    layer._clean_expired()
    assert "c1" not in layer.channels


async def test_every_channel_layer_message_goes_through_dispatch(monkeypatch):
    import channels.consumer

    handled, hops = [], []

    async def close_old_connections():
        hops.append(1)

    monkeypatch.setattr(channels.consumer, "aclose_old_connections", close_old_connections)

    class Consumer(compat.DirectDispatch, AsyncConsumer):
        direct_types = frozenset({"live.frame"})

        async def live_frame(self, message):
            handled.append(message["type"])

        async def live_other(self, message):
            handled.append(message["type"])

    assert "self.dispatch" in inspect.getsource(AsyncConsumer.__call__)
    assert list(inspect.signature(AsyncConsumer.dispatch).parameters) == ["self", "message"]
    await Consumer().dispatch({"type": "live.frame"})
    assert (handled, hops) == (["live.frame"], [])  # no database hop for a broadcast
    await Consumer().dispatch({"type": "live.other"})
    assert (handled, hops) == (["live.frame", "live.other"], [1])  # Channels' own path for the rest


async def test_a_consumer_without_a_channel_runs_as_channels_would_and_takes_its_inbox_in_turn():
    from channels.layers import get_channel_layer

    source = inspect.getsource(AsyncConsumer.__call__)
    # What WithoutChannel does in its place: the same attributes, the same dispatch loop.
    for line in (
        "self.scope = scope",
        "self.channel_layer = get_channel_layer(self.channel_layer_alias)",
        "self.channel_name = await self.channel_layer.new_channel()",
        "self.base_send = send",
        "await await_many_dispatch(",
        "except StopConsumer:",
    ):
        assert line in source, line
    handled: list[str] = []
    received = asyncio.Queue()

    class Consumer(compat.WithoutChannel, compat.DirectDispatch, AsyncConsumer):
        direct_types = frozenset({"websocket.connect", "live.one", "live.stop"})

        async def websocket_connect(self, message):
            handled.append("connect")
            self.inbox.put_nowait({"type": "live.one"})

        async def live_one(self, message):
            handled.append("one")
            await received.put({"type": "live.stop"})

        async def live_stop(self, message):
            handled.append("stop")
            raise StopConsumer

    consumer = Consumer()
    await received.put({"type": "websocket.connect"})
    await asyncio.wait_for(consumer.run_without_channel({"type": "websocket"}, received.get, None), 2)
    assert handled == ["connect", "one", "stop"]
    assert consumer.channel_layer is get_channel_layer()
    assert consumer.channel_name.startswith("socket.")


def test_the_pubsub_loop_layer_uses_shards_as_resubscribing_shard_serves_them():
    import re

    from channels_redis import pubsub

    source = inspect.getsource(pubsub.RedisPubSubLoopLayer)
    # One shard object per host, in `_shards`, each keeping its host's options as `.host` ...
    assert "self._shards = [" in source and "RedisSingleShardConnection(host, self)" in source
    assert "self.host = host" in inspect.getsource(pubsub.RedisSingleShardConnection.__init__)
    # ... and nothing asked of a shard but what ResubscribingShard implements.
    assert set(re.findall(r"shard\.(\w+)\(", source)) == {"publish", "subscribe", "unsubscribe", "flush"}
    # Deliveries go to `channels` (name -> queue) and, for a group's Redis channel, to its members.
    assert "self.channels = {}" in source and "self.groups = {}" in source
    assert "self.groups[group_channel]" in inspect.getsource(pubsub.RedisPubSubLoopLayer.group_add)
    # new_channel names a channel as the stock one does, and places it with _get_shard.
    stock = inspect.getsource(pubsub.RedisPubSubLoopLayer.new_channel)
    assert 'f"{self.prefix}{prefix}{uuid.uuid4().hex}"' in stock
    assert "self._get_shard(channel)" in inspect.getsource(pubsub.RedisPubSubLoopLayer._subscribe_to_channel)


async def test_the_resubscribing_layer_puts_its_shards_in_the_loop_layer():
    from channels_redis.pubsub import RedisPubSubLoopLayer

    layer = compat.ResubscribingRedisPubSubLayer(hosts=["redis://127.0.0.1:1/0"], prefix="p")
    loop_layer = layer._get_layer()
    assert isinstance(loop_layer, RedisPubSubLoopLayer)
    (shard,) = loop_layer._shards
    assert isinstance(shard, compat.ResubscribingShard)
    assert shard.host == {"address": "redis://127.0.0.1:1/0"} and shard.layer is loop_layer
    assert layer._get_layer() is loop_layer and loop_layer._shards == [shard]  # swapped once
    # A channel is made even with Redis unreachable, named as the stock layer names it.
    channel = await layer.new_channel()
    assert channel.startswith("pspecific.") and channel in loop_layer.channels and channel in shard.wanted
    await layer.flush()


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536, 70000])
def test_a_ready_made_frame_is_what_a_websocket_client_reads(size):
    # Parsed by the `websockets` library, a client's own reading of RFC 6455.
    from websockets.frames import Frame, Opcode
    from websockets.streams import StreamReader

    text = "é" * (size // 2) + "x" * (size % 2)  # `size` bytes, two-byte characters too
    assert len(text.encode()) == size
    reader = StreamReader()
    reader.feed_data(compat.text_frame(text))
    parser = Frame.parse(reader.read_exact, mask=False)
    try:
        next(parser)
    except StopIteration as done:
        frame = done.value
    else:
        pytest.fail("the frame was incomplete")
    assert (frame.opcode, frame.fin, frame.data.decode()) == (Opcode.TEXT, True, text)


def test_the_wire_behind_daphnes_send_is_its_autobahn_connection():
    import functools

    from autobahn.websocket import protocol as autobahn
    from daphne import server, ws_protocol

    # Daphne hands each application `partial(self.handle_reply, protocol)` as its `send` ...
    assert "send=partial(self.handle_reply, protocol)" in inspect.getsource(server.Server.create_application)
    # ... and its WebSocket protocol is autobahn's, with what Wire uses.
    assert issubclass(ws_protocol.WebSocketProtocol, autobahn.WebSocketProtocol)
    source = inspect.getsource(autobahn)
    assert "self.state = WebSocketProtocol.STATE_OPEN" in source and "self._perMessageCompress = None" in source
    assert list(inspect.signature(autobahn.WebSocketProtocol.sendData).parameters)[:2] == ["self", "data"]

    class Protocol:
        STATE_OPEN, state, _perMessageCompress = 3, 3, None

        def __init__(self):
            self.sent = []

        def sendData(self, data):
            self.sent.append(data)

    class Server:
        async def handle_reply(self, protocol, message):
            raise AssertionError("not through ASGI")

    protocol = Protocol()
    send = functools.partial(Server().handle_reply, protocol)

    async def wrapper(message):
        await send(message)

    wrapper.__wrapped__ = send
    wire = compat.Wire.behind(wrapper)
    assert wire.plain()
    wire.write(b"frame")
    protocol.state = 4  # closing: nothing more is written
    wire.write(b"late")
    assert protocol.sent == [b"frame"]
    protocol._perMessageCompress = object()
    assert not wire.plain()
    assert compat.Wire.behind(lambda message: None) is None


def test_daphne_checks_timeouts_in_one_pass_that_reschedules_itself_and_pings_by_last_ping():
    from daphne import server, ws_protocol

    assert "self.timeout_checker" in inspect.getsource(server.Server.run)
    if not getattr(server.Server.timeout_checker, "spread", False):
        checker = inspect.getsource(server.Server.timeout_checker)
        assert "protocol.check_timeouts()" in checker and "callLater(2, self.timeout_checker)" in checker
        assert compat.CHECK_PERIOD_SECONDS == 2
        assert "self.last_ping = time.time()" in inspect.getsource(ws_protocol.WebSocketProtocol.onConnect)
    timeouts = inspect.getsource(ws_protocol.WebSocketProtocol.check_timeouts)
    assert "(time.time() - self.last_ping) > self.server.ping_interval" in timeouts


def test_spread_keepalive_checks_each_connection_once_a_period_a_share_at_a_time(monkeypatch):
    from types import SimpleNamespace

    from daphne import server, ws_protocol
    from twisted.internet import reactor

    monkeypatch.setattr(server.Server, "timeout_checker", server.Server.timeout_checker)
    monkeypatch.setattr(ws_protocol.WebSocketProtocol, "onConnect", ws_protocol.WebSocketProtocol.onConnect)
    compat.spread_keepalive()
    compat.spread_keepalive()  # twice is still once

    class Connection:
        def __init__(self) -> None:
            self.checked = 0

        def check_timeouts(self) -> None:
            self.checked += 1

    connections = [Connection() for _ in range(45)]
    fake = SimpleNamespace(connections={connection: {} for connection in connections})
    fake.timeout_checker = lambda: server.Server.timeout_checker(fake)
    later = []
    monkeypatch.setattr(reactor, "callLater", lambda delay, call: later.append((delay, call)))
    gone = connections[-1]
    per_turn = []
    for turn in range(compat.CHECK_TURNS):
        before = sum(c.checked for c in connections)
        server.Server.timeout_checker(fake)
        per_turn.append(sum(c.checked for c in connections) - before)
        if turn == 0:
            del fake.connections[gone]  # closed meanwhile: not checked any more
    assert [c.checked for c in connections[:-1]] == [1] * 44 and gone.checked in (0, 1)
    assert max(per_turn) <= 3  # 45 connections over 20 turns
    assert {delay for delay, _ in later} == {compat.CHECK_PERIOD_SECONDS / compat.CHECK_TURNS}
    assert len(later) == compat.CHECK_TURNS  # each turn schedules the next
    server.Server.timeout_checker(fake)  # the next period starts over with who is there now
    assert sum(c.checked for c in connections[:-1]) in range(44, 48)


def test_spread_keepalive_goes_on_checking_the_others_when_one_connection_fails(monkeypatch, caplog):
    from types import SimpleNamespace

    from daphne import server, ws_protocol
    from twisted.internet import reactor

    monkeypatch.setattr(server.Server, "timeout_checker", server.Server.timeout_checker)
    monkeypatch.setattr(ws_protocol.WebSocketProtocol, "onConnect", ws_protocol.WebSocketProtocol.onConnect)
    compat.spread_keepalive()
    checked = []

    class Connection:
        def __init__(self, broken: bool) -> None:
            self.broken = broken

        def check_timeouts(self) -> None:
            if self.broken:
                raise RuntimeError("transport gone")
            checked.append(self)

    # Dealt to one turn together (every CHECK_TURNS-th connection): the broken one first.
    connections = [Connection(broken=(n == 0)) for n in range(compat.CHECK_TURNS * 2)]
    fake = SimpleNamespace(connections={connection: {} for connection in connections})
    fake.timeout_checker = lambda: server.Server.timeout_checker(fake)
    later = []
    monkeypatch.setattr(reactor, "callLater", lambda delay, call: later.append(call))
    for _ in range(compat.CHECK_TURNS):
        server.Server.timeout_checker(fake)
    assert len(checked) == len(connections) - 1
    assert len(later) == compat.CHECK_TURNS  # the checks go on
    assert "Checking a connection's timeouts failed" in caplog.text
