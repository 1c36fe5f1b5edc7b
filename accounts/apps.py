from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Users, roles, passwords and tokens."""

    name = "accounts"

    def ready(self) -> None:
        from accounts import events  # noqa: F401 - connects the deleted-user receiver
