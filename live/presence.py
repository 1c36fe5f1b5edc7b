"""Who is connected right now, shared by every worker.

With REDIS_URL: one sorted set per user (`presence:<userId>`), members are channel names
scored by an expiry time that each connection refreshes; a killed worker's entries
simply expire. Without: a dict in this process, which is every connection there is.
"""

import time

from django.conf import settings

TTL_SECONDS = 90
HEARTBEAT_SECONDS = 30


class MemoryPresence:
    """Presence for the single-process default."""

    def __init__(self) -> None:
        self._channels: dict[str, set[str]] = {}

    async def add(self, user_id: str, channel: str) -> None:
        self._channels.setdefault(user_id, set()).add(channel)

    async def refresh(self, user_id: str, channel: str) -> None:
        await self.add(user_id, channel)

    async def remove(self, user_id: str, channel: str) -> bool:
        """Forget a connection; return whether the user is still online elsewhere."""
        channels = self._channels.get(user_id, set())
        channels.discard(channel)
        if not channels:
            self._channels.pop(user_id, None)
            return False
        return True

    async def online(self, user_ids: list[str]) -> set[str]:
        return {user_id for user_id in user_ids if self._channels.get(user_id)}


class RedisPresence:
    """Presence kept in Redis so that every worker sees every connection."""

    def __init__(self, url: str) -> None:
        from redis import asyncio as redis_asyncio

        self._url = url
        self._redis_module = redis_asyncio
        self._clients: dict[int, object] = {}

    def _client(self):
        # One client per event loop: redis-py connections are bound to the loop they start on.
        import asyncio

        loop_id = id(asyncio.get_running_loop())
        client = self._clients.get(loop_id)
        if client is None:
            client = self._redis_module.from_url(self._url, socket_timeout=5, health_check_interval=30)
            self._clients[loop_id] = client
        return client

    @staticmethod
    def _key(user_id: str) -> str:
        return f"attendance:presence:{user_id}"

    async def add(self, user_id: str, channel: str) -> None:
        key = self._key(user_id)
        now = time.time()
        async with self._client().pipeline(transaction=False) as pipe:
            pipe.zremrangebyscore(key, "-inf", now)
            pipe.zadd(key, {channel: now + TTL_SECONDS})
            pipe.expire(key, TTL_SECONDS * 2)
            await pipe.execute()

    async def refresh(self, user_id: str, channel: str) -> None:
        await self.add(user_id, channel)

    async def remove(self, user_id: str, channel: str) -> bool:
        key = self._key(user_id)
        async with self._client().pipeline(transaction=False) as pipe:
            pipe.zrem(key, channel)
            pipe.zcount(key, time.time(), "+inf")
            _, remaining = await pipe.execute()
        return remaining > 0

    async def online(self, user_ids: list[str]) -> set[str]:
        if not user_ids:
            return set()
        now = time.time()
        async with self._client().pipeline(transaction=False) as pipe:
            for user_id in user_ids:
                pipe.zcount(self._key(user_id), now, "+inf")
            counts = await pipe.execute()
        return {user_id for user_id, count in zip(user_ids, counts, strict=True) if count}


_presence: MemoryPresence | RedisPresence | None = None


def get_presence() -> MemoryPresence | RedisPresence:
    """Return the presence store for the configured deployment."""
    global _presence
    if _presence is None:
        _presence = RedisPresence(settings.REDIS_URL) if settings.REDIS_URL else MemoryPresence()
    return _presence
