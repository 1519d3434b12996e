"""The Redis channel layer, with a short blocking read so that its socket timeout can be short."""

from __future__ import annotations

from channels_redis.core import RedisChannelLayer


class ShortReadRedisChannelLayer(RedisChannelLayer):
    """channels_redis waits for a process's messages with BZPOPMIN of ``brpop_timeout`` seconds
    (5 by default), and the connection's socket timeout must outlast that wait. Half a second here
    lets the socket timeout be one (CHANNEL_REDIS_SOCKET_TIMEOUT): a hung Redis then fails a send,
    a group join or that read within a second instead of hanging pages and sockets. The price is
    two idle round trips per second per process (not per socket)."""

    brpop_timeout = 0.5
