"""Names of the groups a socket belongs to, and the channel-layer group that carries each.

- `class.<id>`: every connection of a class (its teacher and enrolled students).
- `class.<id>.live`: connections of that class that opted in to the extension.
- `user.<id>`: every connection of one user.

A worker process subscribes once per carrier and hands each message to its own sockets of
the message's group (live.fanout). A class group is its own carrier. Every user group shares
one carrier, `users`: a socket's handshake would otherwise subscribe the process to its
user's group, a Redis round trip per socket in a connect storm, where user messages (roster
changes, presence, revocations) are few and every worker simply skips those of users it
does not hold.
"""

USERS = "users"


def class_group(class_id: str) -> str:
    """Group of every connection of a class."""
    return f"class.{class_id}"


def class_live_group(class_id: str) -> str:
    """Group of the opted-in connections of a class."""
    return f"class.{class_id}.live"


def user_group(user_id: str) -> str:
    """Group of every connection of one user."""
    return f"user.{user_id}"


def carrier(group: str) -> str:
    """The channel-layer group that carries a group's messages."""
    return USERS if group.startswith("user.") else group
