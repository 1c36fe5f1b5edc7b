"""Who is connected right now, shared by every worker.

With REDIS_URL: one sorted set per user (`presence:<userId>`), members are channel names
scored by an expiry time that each connection refreshes; a killed worker's entries
simply expire. Without: a dict in this process, which is every connection there is.

Also when each user last had a connection (`seen:<userId>`, kept SESSION_MAX_HOURS), so that
a check-in can tell whether the student's live page was open during the session.
"""

import asyncio
import logging
import random
import time

from django.conf import settings
from redis import exceptions as redis_errors

from accounts.models import Role
from live import broadcast
from live.batching import batch_of

logger = logging.getLogger("attendance.ws")

TTL_SECONDS = 90
HEARTBEAT_SECONDS = 30


def seen_seconds() -> int:
    """How long the last time a user was connected is remembered: as long as a session may run."""
    return int(settings.SESSION_MAX_HOURS * 3600) + TTL_SECONDS


class MemoryPresence:
    """Presence for the single-process default."""

    def __init__(self) -> None:
        self._channels: dict[str, set[str]] = {}
        self._seen: dict[str, float] = {}
        self._pruned_at = 0.0

    def _saw(self, user_id: str) -> None:
        now = time.time()
        self._seen[user_id] = now
        # Forget, at most once a minute, whoever has not been seen for SEEN_SECONDS.
        if now - self._pruned_at > 60:
            self._pruned_at = now
            cutoff = now - seen_seconds()
            self._seen = {user: moment for user, moment in self._seen.items() if moment > cutoff}

    async def add(self, user_id: str, channel: str) -> None:
        self._channels.setdefault(user_id, set()).add(channel)
        self._saw(user_id)

    async def claim(self, user_id: str, channel: str) -> int:
        """Record a connection; return how many the user had open before it."""
        before = len(self._channels.get(user_id, ()))
        await self.add(user_id, channel)
        return before

    async def claim_many(self, claims: list[tuple[str, str]]) -> dict[str, int]:
        """`claim` each (user, channel) in turn; return {channel: how many its user had open before}."""
        return {channel: await self.claim(user_id, channel) for user_id, channel in claims}

    async def remove(self, user_id: str, channel: str) -> bool:
        """Forget a connection; return whether the user is still online elsewhere."""
        channels = self._channels.get(user_id, set())
        channels.discard(channel)
        self._saw(user_id)
        if not channels:
            self._channels.pop(user_id, None)
            return False
        return True

    async def remove_many(self, removals: list[tuple[str, str]]) -> dict[str, bool]:
        """`remove` each (user, channel) in turn; return {channel: whether its user is still online}."""
        return {channel: await self.remove(user_id, channel) for user_id, channel in removals}

    async def online(self, user_ids: list[str]) -> set[str]:
        return {user_id for user_id in user_ids if self._channels.get(user_id)}

    async def seen(self, user_id: str) -> float | None:
        """Return when the user last had a connection (Unix time), if in the last SEEN_SECONDS."""
        if self._channels.get(user_id):
            return time.time()
        moment = self._seen.get(user_id)
        return moment if moment is not None and moment > time.time() - seen_seconds() else None


# KEYS: the user's presence set, their last-seen key. ARGV: now, channel, its expiry, the set's
# TTL, the last-seen value and its TTL. Drops expired entries, counts the live ones, adds this one.
_CLAIM = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local before = redis.call('ZCOUNT', KEYS[1], ARGV[1], '+inf')
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('SET', KEYS[2], ARGV[5], 'EX', ARGV[6])
return before
"""

# KEYS as above. ARGV: channel, now, the last-seen value and its TTL. Returns the live entries left.
_REMOVE = """
redis.call('ZREM', KEYS[1], ARGV[1])
local remaining = redis.call('ZCOUNT', KEYS[1], ARGV[2], '+inf')
redis.call('SET', KEYS[2], ARGV[3], 'EX', ARGV[4])
return remaining
"""


class RedisPresence:
    """Presence kept in Redis so that every worker sees every connection."""

    def __init__(self, url: str) -> None:
        from redis import asyncio as redis_asyncio

        self._url = url
        self._redis_module = redis_asyncio
        self._clients: dict[int, object] = {}
        self._scripts: dict[int, dict[str, object]] = {}

    def _client(self):
        # One client per event loop: redis-py connections are bound to the loop they start on.
        loop_id = id(asyncio.get_running_loop())
        client = self._clients.get(loop_id)
        if client is None:
            # Best effort, and never a stall: a Redis that stops answering costs a connect at most 1 s.
            client = self._redis_module.from_url(
                self._url, socket_timeout=1, socket_connect_timeout=1, health_check_interval=30
            )
            self._clients[loop_id] = client
        return client

    @staticmethod
    def _key(user_id: str) -> str:
        return f"attendance:presence:{user_id}"

    @staticmethod
    def _seen_key(user_id: str) -> str:
        return f"attendance:seen:{user_id}"

    async def add(self, user_id: str, channel: str) -> None:
        await self.claim(user_id, channel)

    async def claim(self, user_id: str, channel: str) -> int:
        """Record a connection; return how many the user had open before it (one round trip)."""
        return (await self.claim_many([(user_id, channel)]))[channel]

    async def claim_many(self, claims: list[tuple[str, str]]) -> dict[str, int]:
        """`claim` each (user, channel) in turn, in one round trip: {channel: how many its user had open before}."""
        now = time.time()
        calls = [
            (
                [self._key(user_id), self._seen_key(user_id)],
                [now, channel, now + TTL_SECONDS, TTL_SECONDS * 2, repr(now), seen_seconds()],
            )
            for user_id, channel in claims
        ]
        results = await self._run_many(_CLAIM, calls)
        return {channel: int(before) for (_, channel), before in zip(claims, results, strict=True)}

    async def remove(self, user_id: str, channel: str) -> bool:
        """Forget a connection; return whether the user is still online elsewhere."""
        return (await self.remove_many([(user_id, channel)]))[channel]

    async def remove_many(self, removals: list[tuple[str, str]]) -> dict[str, bool]:
        """`remove` each (user, channel) in one round trip: {channel: whether its user is still online}."""
        now = time.time()
        calls = [
            ([self._key(user_id), self._seen_key(user_id)], [channel, now, repr(now), seen_seconds()])
            for user_id, channel in removals
        ]
        results = await self._run_many(_REMOVE, calls)
        return {channel: int(remaining) > 0 for (_, channel), remaining in zip(removals, results, strict=True)}

    async def _run_many(self, source: str, calls: list[tuple[list, list]]) -> list:
        """Run a script once per (keys, args), all in one round trip; return the replies in order.

        One connection for a whole herd: sent one by one, a storm's thousand commands would each
        take a connection of their own from the pool (and open it).
        """
        script = self._script(source)
        async with self._client().pipeline(transaction=False) as pipe:
            for keys, args in calls:
                pipe.evalsha(script.sha, len(keys), *keys, *args)
            results = await pipe.execute(raise_on_error=False)
        if any(isinstance(result, redis_errors.NoScriptError) for result in results):
            # Redis restarted and forgot the script: run them one at a time, which loads it again.
            return [await script(keys=keys, args=args) for keys, args in calls]
        for result in results:
            if isinstance(result, Exception):
                raise result
        return results

    def _script(self, source: str):
        # A script runs as one command: a handshake's presence costs the client one command to
        # send and one reply to read, where a pipeline of five costs five of each.
        client = self._client()
        scripts = self._scripts.setdefault(id(client), {})
        script = scripts.get(source)
        if script is None:
            script = scripts[source] = client.register_script(source)
        return script

    async def online(self, user_ids: list[str]) -> set[str]:
        if not user_ids:
            return set()
        now = time.time()
        async with self._client().pipeline(transaction=False) as pipe:
            for user_id in user_ids:
                pipe.zcount(self._key(user_id), now, "+inf")
            counts = await pipe.execute()
        return {user_id for user_id, count in zip(user_ids, counts, strict=True) if count}

    async def seen(self, user_id: str) -> float | None:
        """Return when the user last had a connection (Unix time), if in the last SEEN_SECONDS."""
        if await self.online([user_id]):
            return time.time()
        value = await self._client().get(self._seen_key(user_id))
        return float(value) if value is not None else None


_presence: MemoryPresence | RedisPresence | None = None


def get_presence() -> MemoryPresence | RedisPresence:
    """Return the presence store for the configured deployment."""
    global _presence
    if _presence is None:
        _presence = RedisPresence(settings.REDIS_URL) if settings.REDIS_URL else MemoryPresence()
    return _presence


async def claim(*, user, channel: str) -> int:
    """Record a connection being opened; return how many the user had open before it.

    One Redis command for both the per-user cap's count and the entry, sent in one round trip
    with those of every handshake that claimed meanwhile (live.batching). A connection that is
    then refused must be released. A failure is raised: presence shares Redis with the channel
    layer, and a handshake that cannot reach it is answered "try again" (live.connection).
    """
    return await batch_of("presence", _claim_many).get(channel, (str(user.pk), channel))


async def _claim_many(claims: list[tuple[str, str]]) -> dict[str, int]:
    return await get_presence().claim_many(claims)


async def _remove(user, channel: str) -> bool:
    """Forget a connection, in one round trip with those of every socket leaving meanwhile."""
    return await batch_of("presence-leave", _remove_many).get(channel, (str(user.pk), channel))


async def _remove_many(removals: list[tuple[str, str]]) -> dict[str, bool]:
    return await get_presence().remove_many(removals)


async def release(*, user, channel: str) -> None:
    """Forget a connection that was claimed but refused (nobody was told it came online)."""
    try:
        await _remove(user, channel)
    except Exception:
        logger.warning("Presence update failed on a refused connect", exc_info=True)


async def connected(*, user, classes: dict[str, str]) -> None:
    """Tell the teachers that a student came online (the connection was claimed, then accepted)."""
    try:
        await _announce(user=user, classes=classes, online=True)
    except Exception:
        logger.warning("Presence announcement failed on connect", exc_info=True)


async def disconnected(*, user, channel: str, classes: dict[str, str]) -> None:
    """Forget a connection; tell the teachers when a student's last one went."""
    try:
        if not await _remove(user, channel):
            await _announce(user=user, classes=classes, online=False)
    except Exception:
        logger.warning("Presence update failed on disconnect", exc_info=True)


async def heartbeat(*, user_id: str, channel: str) -> None:
    """Keep a connection's entry from expiring, until cancelled.

    The first refresh falls at a random moment in the second half of the interval: the sockets of
    a connect storm would otherwise all refresh in the same second, every HEARTBEAT_SECONDS, in
    the middle of the marking. Refreshes that do fall due together go to Redis in one round trip,
    with any claims of the moment (the same batch as `claim`).
    """
    delay = HEARTBEAT_SECONDS * random.uniform(0.5, 1.0)
    while True:
        await asyncio.sleep(delay)
        delay = HEARTBEAT_SECONDS
        try:
            await batch_of("presence", _claim_many).get(channel, (user_id, channel))
        except Exception:
            logger.warning("Presence heartbeat failed", exc_info=True)


async def seen_since(*, user_id: str, since: float) -> bool:
    """Tell whether the user had a connection open at some moment since `since` (Unix time)."""
    moment = await get_presence().seen(user_id)
    return moment is not None and moment >= since


async def fill_online(snapshot: dict, *, user) -> None:
    """Add each class's online students to a teacher's snapshot."""
    if user.role != Role.TEACHER:
        return
    for entry in snapshot["classes"]:
        entry["online"] = await online_among([student["_id"] for student in entry.get("students", [])])


async def online_among(user_ids: list[str]) -> list[str]:
    """Return which of these users are connected now, sorted (none when presence cannot be read)."""
    try:
        return sorted(await get_presence().online(user_ids))
    except Exception:
        logger.warning("Presence lookup failed", exc_info=True)
        return []


async def _announce(*, user, classes: dict[str, str], online: bool) -> None:
    """Tell the teachers of a student's classes that the student came or went."""
    if user.role != Role.STUDENT:
        return
    for class_id, teacher_id in classes.items():
        broadcast.to_user_soon(teacher_id, "PRESENCE", {"classId": class_id, "userId": str(user.pk), "online": online})
