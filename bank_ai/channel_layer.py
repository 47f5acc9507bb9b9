"""The Redis channel layer with a bounded pool that waits for a free connection.

channels-redis builds a plain redis-py pool per event loop. With redis-py 8 that pool holds at
most 100 connections and raises "Too many connections" when a burst needs more; raising the
limit instead made a burst of handshakes (each joining three or four groups) open hundreds of
new connections at once, which timed out connecting. A `BlockingConnectionPool` keeps a fixed
number of connections and lets a call wait (`timeout` seconds) for one to come free, so a
reconnecting fleet queues for a few milliseconds instead of failing.
"""

from __future__ import annotations

from typing import Any

from channels_redis.core import RedisChannelLayer
from redis.asyncio import BlockingConnectionPool


class BlockingPoolRedisChannelLayer(RedisChannelLayer):
    def create_pool(self, index: int) -> BlockingConnectionPool:
        host: dict[str, Any] = dict(self.hosts[index])
        address = host.pop("address")
        return BlockingConnectionPool.from_url(address, **host)
