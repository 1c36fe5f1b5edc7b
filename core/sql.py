"""Plain SQL for the few hot reads where the ORM's own cost is most of the work.

A handshake asks two small questions (who the token's user is, which classes are theirs);
through the ORM each costs about ten times what SQLite takes to answer it, and a connect
storm asks them for every socket. Those reads are written out here on SQL databases; on
MongoDB the same selectors use the ORM.
"""

from django.db import connection

SQL_VENDORS = frozenset({"sqlite", "postgresql"})


def uses_sql() -> bool:
    """Whether the default database speaks SQL (and not MongoDB)."""
    return connection.vendor in SQL_VENDORS


def placeholders(count: int) -> str:
    """`%s, %s, …` for an IN list of `count` values."""
    return ", ".join(["%s"] * count)


def rows(statement: str, params: list) -> list[tuple]:
    """Run one SELECT and return its rows."""
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall()
