from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Users, roles, passwords and tokens."""

    name = "accounts"
