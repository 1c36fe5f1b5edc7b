"""A herd of handshakes: a few are worked on at a time; one that waits too long is refused at once."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.test import override_settings

from core.errors import Messages
from live import protocol
from live.tests.wsclient import Client
from tests.factories import token_for

pytestmark = pytest.mark.django_db(transaction=True)


async def token(user) -> str:
    return await sync_to_async(token_for)(user)


@override_settings(WS_HANDSHAKES_AT_ONCE=1, WS_HANDSHAKE_QUEUE_SECONDS=0.3)
async def test_a_handshake_that_waits_too_long_for_its_turn_is_try_again_and_the_next_one_gets_in(room, monkeypatch):
    from live.connection import LiveConnection

    joined = LiveConnection._join
    release = asyncio.Event()
    slow = {str(room["alice"].pk)}

    async def slow_join(self, user):
        if str(user.pk) in slow:
            await release.wait()  # the worker is busy with this handshake
        return await joined(self, user)

    monkeypatch.setattr(LiveConnection, "_join", slow_join)
    first = asyncio.ensure_future(Client.open(await token(room["alice"])))
    await asyncio.sleep(0.05)
    waiting = await Client.open(await token(room["bob"]))  # no turn within 0.3 s
    await waiting.error(Messages.WS_UNAVAILABLE)
    assert await waiting.closed() == protocol.CLOSE_TRY_AGAIN
    assert not first.done()  # refused while the first one was still being worked on

    release.set()
    alice = await first
    await alice.send("PING")
    await alice.expect("PONG")  # the one that had its turn was let in
    bob = await Client.open(await token(room["bob"]))  # the turn was given back once answered
    await bob.send("PING")
    await bob.expect("PONG")
    await alice.close()
    await bob.close()


@override_settings(WS_HANDSHAKES_AT_ONCE=1, WS_HANDSHAKE_QUEUE_SECONDS=0.3)
async def test_a_refused_handshake_gives_its_turn_back(room):
    refused = await Client.open("not-a-token")
    await refused.error(Messages.WS_UNAUTHORIZED)
    assert await refused.closed() == protocol.CLOSE_POLICY
    for user in (room["alice"], room["bob"]):  # each in turn, neither waiting on a turn never given back
        client = await Client.open(await token(user))
        await client.send("PING")
        await client.expect("PONG")
        await client.close()


async def test_a_client_that_left_while_it_waited_is_sent_nothing():
    from live.admission import refuse

    sent = []

    async def receive():
        return {"type": "websocket.disconnect", "code": 1001}

    async def send(message):
        sent.append(message)

    await refuse(receive, send)
    assert sent == []


async def test_a_waiting_client_is_answered_try_again_as_the_consumer_answers_it():
    import json

    from live.admission import refuse

    sent = []

    async def receive():
        return {"type": "websocket.connect"}

    async def send(message):
        sent.append(message)

    await refuse(receive, send)
    assert [message["type"] for message in sent] == ["websocket.accept", "websocket.send", "websocket.close"]
    assert json.loads(sent[1]["text"]) == {"event": "ERROR", "data": {"message": Messages.WS_UNAVAILABLE}}
    assert sent[2]["code"] == protocol.CLOSE_TRY_AGAIN
