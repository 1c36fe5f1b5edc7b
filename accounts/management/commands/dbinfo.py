"""Print which database the settings select and whether its transactions are real."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

MONGODB_ENGINE = "django_mongodb_backend"


class Command(BaseCommand):
    help = (
        "Print the database engine, the database name and whether transactions are real. "
        "On MongoDB this asks the server whether it is a replica set, unless MONGO_OFFLINE=1."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="Database alias (default: default).")

    def handle(self, *args, **options) -> None:
        connection = connections[options["database"]]
        engine = connection.settings_dict["ENGINE"]
        mongodb = getattr(settings, "USE_MONGODB", False)
        if mongodb and engine != MONGODB_ENGINE:
            engine = f"{MONGODB_ENGINE} (offline: {engine}, no server contacted)"
        self.stdout.write(f"engine: {engine}")
        self.stdout.write(f"database: {connection.settings_dict['NAME']}")
        self.stdout.write(f"transactions: {self._transactions(connection, mongodb)}")

    def _transactions(self, connection, mongodb: bool) -> str:
        if connection.vendor == "mongodb":
            try:
                replica_set = connection.features._supports_transactions
            except Exception as exc:
                raise CommandError(f"cannot reach MongoDB: {exc.__class__.__name__}: {exc}") from exc
            if replica_set:
                return "real (MongoDB replica set or sharded cluster)"
            return (
                "none: a standalone MongoDB server, on which every atomic() block fails; "
                "run it as a replica set (docker-compose.yml runs a one-node set)"
            )
        if mongodb:
            return "unknown (MONGO_OFFLINE=1)"
        if connection.features.supports_transactions:
            return f"real ({connection.display_name})"
        return f"none ({connection.display_name})"
