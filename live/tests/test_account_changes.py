"""Sockets follow the account page and the password reset: a new password closes them all."""

import re

import pytest
from asgiref.sync import sync_to_async
from django.core import mail
from django.test import Client as PageClient

from live import protocol
from live.tests.wsclient import Client
from tests.factories import PASSWORD, make_student, token_for

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "Violet-orbit-42"


async def test_a_password_reset_closes_every_socket_of_the_account():
    student = await sync_to_async(make_student)()
    other = await sync_to_async(make_student)()
    mine = await Client.open(await sync_to_async(token_for)(student))
    theirs = await Client.open(await sync_to_async(token_for)(other))

    def reset() -> None:
        browser = PageClient()
        browser.post("/app/password/reset/", {"email": student.email})
        link = re.search(r"http://testserver(\S+)", mail.outbox[-1].body).group(1)
        form = browser.get(link)["Location"]
        done = browser.post(form, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
        assert done.status_code == 302

    await sync_to_async(reset)()

    assert await mine.closed() == protocol.CLOSE_REVOKED
    await theirs.send("PING")
    await theirs.expect("PONG")
    await theirs.close()


async def test_the_account_pages_password_change_closes_the_accounts_sockets():
    student = await sync_to_async(make_student)()
    socket = await Client.open(await sync_to_async(token_for)(student))

    def change() -> None:
        browser = PageClient()
        browser.force_login(student)
        body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD}
        assert browser.post("/app/account/password/", body).status_code == 302

    await sync_to_async(change)()

    assert await socket.closed() == protocol.CLOSE_REVOKED
