"""Profile writes: a new name, a new email (with the password), a password set after a reset."""

import pytest
from django.db.models import QuerySet

from accounts import services
from accounts.models import User
from accounts.tokens import issue_tokens, user_from_token
from core.errors import ApplicationError, Messages
from tests import factories

pytestmark = pytest.mark.django_db


def _refused(call, status: int, message: str) -> None:
    with pytest.raises(ApplicationError) as raised:
        call()
    assert (raised.value.status, raised.value.message) == (status, message)


def test_an_email_in_another_case_of_ones_own_is_no_change():
    user = factories.make_student(email="me@school.test")

    services.change_email(user=user, password=factories.PASSWORD, new_email=" ME@School.TEST ", client="1.2.3.4")

    assert User.objects.get(pk=user.pk).email == "me@school.test"


def test_an_email_change_that_loses_a_race_is_email_exists_and_keeps_the_old_address(monkeypatch):
    user = factories.make_student(email="me@school.test")
    factories.make_teacher(email="taken@school.test")
    # The other account appears between the check and the write: the constraint decides.
    monkeypatch.setattr(QuerySet, "exists", lambda self: False)

    _refused(
        lambda: services.change_email(
            user=user, password=factories.PASSWORD, new_email="taken@school.test", client="1.2.3.4"
        ),
        400,
        Messages.EMAIL_EXISTS,
    )

    assert user.email == "me@school.test"
    assert User.objects.get(pk=user.pk).email == "me@school.test"


@pytest.mark.parametrize("email", ["", "not-an-email", "a@b"])
def test_a_malformed_email_is_refused(email):
    user = factories.make_student()

    _refused(
        lambda: services.change_email(user=user, password=factories.PASSWORD, new_email=email, client="1.2.3.4"),
        400,
        Messages.INVALID_SCHEMA,
    )


def test_an_email_change_keeps_every_token_working():
    user = factories.make_student()
    token = issue_tokens(user)["token"]

    services.change_email(user=user, password=factories.PASSWORD, new_email="new@school.test", client="1.2.3.4")

    assert user_from_token(token) == user


def test_setting_a_password_everywhere_raises_the_token_version_once():
    user = factories.make_student()
    version = user.token_version

    services.set_password_everywhere(user=user, new_password="Violet-orbit-42")

    stored = User.objects.get(pk=user.pk)
    assert stored.token_version == version + 1
    assert stored.check_password("Violet-orbit-42")


def test_a_new_name_is_stored_trimmed_up_to_its_200_characters():
    user = factories.make_student(name="Ada")

    for name, stored in (("  Grace Hopper ", "Grace Hopper"), ("x" * 200, "x" * 200)):
        services.change_name(user=user, name=name)
        assert User.objects.get(pk=user.pk).name == stored


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_an_empty_or_too_long_name_is_refused_and_keeps_the_old_one(name):
    user = factories.make_student(name="Ada")

    _refused(lambda: services.change_name(user=user, name=name), 400, Messages.INVALID_SCHEMA)

    assert User.objects.get(pk=user.pk).name == "Ada"


def test_a_name_change_does_not_undo_a_log_out_everywhere_made_meanwhile():
    user = factories.make_student(name="Ada")
    token = issue_tokens(user)["token"]
    services.logout_everywhere(user=User.objects.get(pk=user.pk))  # from another device

    services.change_name(user=user, name="Grace")

    assert user_from_token(token) is None


def test_an_email_another_account_has_is_refused_in_any_case():
    user = factories.make_student(email="me@school.test")
    factories.make_teacher(email="taken@school.test")

    _refused(
        lambda: services.change_email(
            user=user, password=factories.PASSWORD, new_email="Taken@School.test", client="1.2.3.4"
        ),
        400,
        Messages.EMAIL_EXISTS,
    )

    assert User.objects.get(pk=user.pk).email == "me@school.test"


def test_a_new_email_or_password_does_not_undo_a_name_changed_meanwhile():
    user = factories.make_student(name="Ada")

    services.change_name(user=User.objects.get(pk=user.pk), name="Grace")  # from another page
    services.change_email(user=user, password=factories.PASSWORD, new_email="new@school.test", client="1.2.3.4")
    services.set_password_everywhere(user=user, new_password="Violet-orbit-42")

    stored = User.objects.get(pk=user.pk)
    assert (stored.name, stored.email) == ("Grace", "new@school.test")
    assert stored.check_password("Violet-orbit-42")
