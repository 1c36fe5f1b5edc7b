"""Domain signals of the accounts app, for layers that must react without being imported here.

`access_revoked` is sent, once the write is committed, with `user_id` (a string) when every
earlier token of a user stops working: a password change, "log out everywhere", a
deactivated or deleted account. Whoever holds live connections of that user (the WebSocket
layer) subscribes to it and closes them.
"""

from django.db.models.signals import post_delete
from django.dispatch import Signal, receiver

from core.transactions import on_commit

access_revoked = Signal()


def announce_access_revoked(*, user_id: object) -> None:
    """Send `access_revoked` for this user after the current transaction commits."""
    user_id = str(user_id)
    on_commit(lambda: access_revoked.send(sender="accounts", user_id=user_id))


@receiver(post_delete, sender="accounts.User", dispatch_uid="accounts-user-deleted")
def _user_deleted(sender, instance, **kwargs) -> None:
    announce_access_revoked(user_id=instance.pk)
