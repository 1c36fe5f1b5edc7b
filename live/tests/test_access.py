"""A socket follows its account: origin, revocation, expiry, the per-user cap, refusals at connect."""

import asyncio
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.contrib.sessions.models import Session
from django.db import DatabaseError
from django.db.models import F
from django.test import Client as PageClient
from django.test import override_settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User
from attendance import services
from attendance.models import AttendanceRecord
from core.errors import Messages
from live import protocol
from live.tests.wsclient import Client, eventually
from tests.factories import PASSWORD, make_class, make_student, make_teacher, token_for

pytestmark = pytest.mark.django_db(transaction=True)

STRONG = "Violet-orbit-42"


@pytest.fixture
def world():
    """A class with a running session, its teacher and two students."""
    teacher = make_teacher(name="Teacher A")
    alice, bob = make_student(name="Alice"), make_student(name="Bob")
    klass = make_class(teacher=teacher, students=[alice, bob], name="Class A")
    services.session_start(teacher=teacher, klass=klass)
    return {"teacher": teacher, "alice": alice, "bob": bob, "klass": klass}


async def connect(user) -> Client:
    return await Client.open(await sync_to_async(token_for)(user))


def page_session(user) -> PageClient:
    client = PageClient()
    client.force_login(user)
    return client


async def cookie_socket(page: PageClient, host: bytes = b"school.test:3301", origin: bytes | None = None) -> Client:
    headers = [(b"cookie", f"sessionid={page.cookies['sessionid'].value}".encode()), (b"host", host)]
    headers.append((b"origin", origin if origin is not None else b"http://" + host))
    return await Client.open(path="/ws", headers=headers)


def api_as(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    return client


async def works(client: Client) -> None:
    """The socket is open and answers."""
    await client.send("PING")
    await client.expect("PONG")


def marks_of(student) -> int:
    return AttendanceRecord.objects.filter(student=student).count()


# Origin ----------------------------------------------------------------------------------

ALLOWED = ["school.test", "localhost", "testserver"]


@override_settings(ALLOWED_HOSTS=ALLOWED)
async def test_a_cookie_socket_from_the_pages_own_origin_is_accepted(world):
    page = await sync_to_async(page_session)(world["teacher"])
    client = await cookie_socket(page)
    await works(client)
    await client.close()


@pytest.mark.parametrize(
    "origin",
    [
        b"http://school.test:3311",  # the same host on another port
        b"https://school.test:3301",  # another scheme
        b"http://school.test",  # the default port is another port
        b"http://evil.test:3301",
        b"http://school.test:3301, http://school.test:3301",
    ],
)
@override_settings(ALLOWED_HOSTS=ALLOWED)
async def test_a_cookie_socket_from_another_port_scheme_or_host_is_refused(world, origin):
    page = await sync_to_async(page_session)(world["teacher"])
    client = await cookie_socket(page, origin=origin)
    await client.error(Messages.WS_UNAUTHORIZED)
    assert await client.closed() == protocol.CLOSE_POLICY


@override_settings(ALLOWED_HOSTS=ALLOWED)
async def test_a_host_outside_allowed_hosts_is_no_origin_of_ours(world):
    page = await sync_to_async(page_session)(world["teacher"])
    client = await cookie_socket(page, host=b"evil.test:3301")
    await client.error(Messages.WS_UNAUTHORIZED)
    await client.closed()


@override_settings(
    ALLOWED_HOSTS=ALLOWED, CSRF_TRUSTED_ORIGINS=["https://attendance.school.test", "https://*.campus.test"]
)
@pytest.mark.parametrize("origin", [b"https://attendance.school.test", b"https://east.campus.test"])
async def test_an_origin_listed_in_csrf_trusted_origins_is_accepted(world, origin):
    page = await sync_to_async(page_session)(world["teacher"])
    client = await cookie_socket(page, origin=origin)
    await works(client)
    await client.close()


@override_settings(ALLOWED_HOSTS=ALLOWED, CSRF_TRUSTED_ORIGINS=["https://*.campus.test"])
async def test_a_trusted_wildcard_needs_its_scheme(world):
    page = await sync_to_async(page_session)(world["teacher"])
    client = await cookie_socket(page, origin=b"http://east.campus.test")
    await client.error(Messages.WS_UNAUTHORIZED)
    await client.closed()


@override_settings(ALLOWED_HOSTS=ALLOWED)
async def test_behind_an_https_proxy_the_https_origin_is_the_pages_own(world):
    page = await sync_to_async(page_session)(world["teacher"])
    cookie = f"sessionid={page.cookies['sessionid'].value}".encode()
    base = [(b"cookie", cookie), (b"host", b"school.test"), (b"x-forwarded-proto", b"https")]
    client = await Client.open(path="/ws", headers=[*base, (b"origin", b"https://school.test")])
    await works(client)
    await client.close()
    plain = await Client.open(path="/ws", headers=[*base, (b"origin", b"http://school.test")])
    await plain.error(Messages.WS_UNAUTHORIZED)
    await plain.closed()


# Revocation ------------------------------------------------------------------------------


async def test_logout_all_closes_every_socket_of_the_user_at_once(world):
    first, second = await connect(world["teacher"]), await connect(world["teacher"])
    alice = await connect(world["alice"])
    response = await sync_to_async(lambda: api_as(world["teacher"]).post("/auth/logout-all"))()
    assert response.status_code == 200
    assert await first.closed() == protocol.CLOSE_REVOKED
    assert await second.closed() == protocol.CLOSE_REVOKED
    await works(alice)  # other users keep their sockets
    await alice.close()


@override_settings(ALLOWED_HOSTS=ALLOWED)
async def test_a_password_change_closes_token_and_page_sockets(world):
    page = await sync_to_async(page_session)(world["alice"])
    by_cookie = await cookie_socket(page)
    by_token = await connect(world["alice"])
    body = {"currentPassword": PASSWORD, "newPassword": STRONG}
    response = await sync_to_async(lambda: api_as(world["alice"]).post("/auth/password", body, format="json"))()
    assert response.status_code == 200
    assert await by_cookie.closed() == protocol.CLOSE_REVOKED
    assert await by_token.closed() == protocol.CLOSE_REVOKED
    fresh = await Client.open(response.json()["data"]["token"])
    await works(fresh)
    await fresh.close()


async def test_a_deactivated_user_is_closed_and_cannot_come_back(world):
    token = await sync_to_async(token_for)(world["alice"])
    client = await Client.open(token)

    def deactivate():
        world["alice"].is_active = False
        world["alice"].save()

    await sync_to_async(deactivate)()
    assert await client.closed() == protocol.CLOSE_REVOKED
    again = await Client.open(token)
    await again.error(Messages.WS_UNAUTHORIZED)
    await again.closed()


async def test_a_deleted_user_is_closed(world):
    client = await connect(world["bob"])
    await sync_to_async(world["bob"].delete)()
    assert await client.closed() == protocol.CLOSE_REVOKED


@override_settings(ALLOWED_HOSTS=ALLOWED)
async def test_signing_out_of_a_page_closes_that_pages_sockets_only(world):
    phone = await sync_to_async(page_session)(world["teacher"])
    laptop = await sync_to_async(page_session)(world["teacher"])
    on_phone, on_laptop = await cookie_socket(phone), await cookie_socket(laptop)
    response = await sync_to_async(lambda: phone.post("/app/logout/"))()
    assert response.status_code == 302
    assert await on_phone.closed() == protocol.CLOSE_REVOKED
    await works(on_laptop)
    again = await cookie_socket(phone)
    await again.error(Messages.WS_UNAUTHORIZED)
    await again.closed()
    await on_laptop.close()


async def test_a_frame_after_the_revocation_is_not_handled(world):
    teacher, alice = await connect(world["teacher"]), await connect(world["alice"])
    await sync_to_async(lambda: api_as(world["teacher"]).post("/auth/logout-all"))()
    await teacher.send("ATTENDANCE_MARKED", {"studentId": str(world["alice"].pk), "status": "present"})
    assert await teacher.closed() == protocol.CLOSE_REVOKED
    await teacher.nothing()
    await alice.nothing()
    await alice.send("MY_ATTENDANCE")
    await alice.expect("MY_ATTENDANCE", status="not yet updated")
    await alice.close()


@override_settings(WS_RECHECK_SECONDS=0)
async def test_a_revocation_the_layer_never_carried_refuses_the_next_frame(world):
    teacher, alice = await connect(world["teacher"]), await connect(world["alice"])
    # Raised in the database only: no signal, no close message (as when Redis was away).
    await sync_to_async(
        lambda: User.objects.filter(pk=world["teacher"].pk).update(token_version=F("token_version") + 1)
    )()
    await teacher.send("ATTENDANCE_MARKED", {"studentId": str(world["alice"].pk), "status": "present"})
    await teacher.error(Messages.WS_UNAUTHORIZED)
    assert await teacher.closed() == protocol.CLOSE_REVOKED
    await alice.nothing()
    assert await sync_to_async(marks_of)(world["alice"]) == 0
    await alice.close()


@override_settings(WS_RECHECK_SECONDS=0, ALLOWED_HOSTS=ALLOWED)
async def test_a_page_session_that_ended_elsewhere_refuses_the_next_frame(world):
    page = await sync_to_async(page_session)(world["alice"])
    client = await cookie_socket(page)
    await works(client)
    await sync_to_async(lambda: Session.objects.all().delete())()
    await client.send("MY_ATTENDANCE")
    await client.error(Messages.WS_UNAUTHORIZED)
    assert await client.closed() == protocol.CLOSE_REVOKED


# Expiry ------------------------------------------------------------------------------------


def short_lived_token(user, seconds: float) -> str:
    access = AccessToken(token_for(user))
    access.set_exp(lifetime=timedelta(seconds=seconds))
    return str(access)


async def test_a_token_socket_closes_when_its_token_expires(world):
    client = await Client.open(await sync_to_async(short_lived_token)(world["alice"], 1))
    await works(client)
    output = await client.comm.receive_output(timeout=5)
    assert output == {"type": "websocket.close", "code": protocol.CLOSE_TOKEN_EXPIRED}


# The per-user cap ---------------------------------------------------------------------------


@override_settings(WS_MAX_SOCKETS_PER_USER=2)
async def test_sockets_past_the_per_user_cap_are_refused_with_their_own_code(world):
    first, second = await connect(world["alice"]), await connect(world["alice"])
    third = await connect(world["alice"])
    await third.error(Messages.WS_TOO_MANY_SOCKETS)
    assert await third.closed() == protocol.CLOSE_TOO_MANY_SOCKETS
    bob = await connect(world["bob"])  # the cap is per user
    await works(bob)
    await first.close()
    fourth = await connect(world["alice"])
    await works(fourth)
    await works(second)
    for client in (second, fourth, bob):
        await client.close()


# Refusals at connect ------------------------------------------------------------------------


async def test_a_database_failure_while_authenticating_is_try_again_not_a_500(world, monkeypatch):
    def broken(raw):
        raise DatabaseError("database is locked")

    monkeypatch.setattr("live.auth.active_users", broken)
    client = await connect(world["alice"])
    await client.error(Messages.WS_UNAVAILABLE)
    assert await client.closed() == protocol.CLOSE_TRY_AGAIN


async def test_a_channel_that_cannot_be_made_is_try_again_not_a_500(world, monkeypatch):
    # Channels makes the socket's channel before connect(); a failure there (Redis gone, or an
    # error the layer did not expect) used to reach Daphne, which answered the handshake 500.
    from channels.layers import get_channel_layer

    async def broken(*args, **kwargs):
        raise RuntimeError("Error UNKNOWN while writing to socket. Connection lost.")

    monkeypatch.setattr(type(get_channel_layer()), "new_channel", broken)
    client = await connect(world["alice"])
    await client.error(Messages.WS_UNAVAILABLE)
    assert await client.closed() == protocol.CLOSE_TRY_AGAIN


@override_settings(WS_CONNECT_TIMEOUT_SECONDS=60)
async def test_try_again_is_answered_at_once_even_when_leaving_the_groups_hangs(world, monkeypatch):
    from live.fanout import LocalFanout
    from live.membership import Membership

    async def failing_join(self, group, member):
        raise ConnectionError("Redis is unavailable")

    left = asyncio.Event()

    async def hanging_leave(self, user_id):
        left.set()
        await asyncio.Event().wait()

    monkeypatch.setattr(LocalFanout, "join", failing_join)
    monkeypatch.setattr(Membership, "leave", hanging_leave)
    client = await connect(world["alice"])  # the client gives up on a handshake after a few seconds
    await client.error(Messages.WS_UNAVAILABLE)
    assert await client.closed() == protocol.CLOSE_TRY_AGAIN
    await asyncio.wait_for(left.wait(), 5)  # leaving goes on all the same, in the background


@override_settings(WS_CONNECT_TIMEOUT_SECONDS=0.2)
async def test_a_channel_layer_that_hangs_is_try_again_and_leaves_no_group(world, monkeypatch):
    from channels.layers import get_channel_layer

    from live import presence
    from live.fanout import LocalFanout, local_fanout

    async def hanging_join(self, group, member):
        await asyncio.Event().wait()

    monkeypatch.setattr(LocalFanout, "join", hanging_join)
    client = await connect(world["alice"])
    await client.error(Messages.WS_UNAVAILABLE)
    assert await client.closed() == protocol.CLOSE_TRY_AGAIN
    # The groups are left, and the presence entry released, in the background within the same bound.
    alice = str(world["alice"].pk)
    assert await eventually(lambda: not local_fanout(get_channel_layer()).members.get(f"user.{alice}"))
    for _ in range(300):
        if not await presence.online_among([alice]):
            break
        await asyncio.sleep(0.01)
    assert await presence.online_among([alice]) == []
