"""The Redis channel layer, with a short blocking read so that its socket timeout can be short."""

from __future__ import annotations

from channels_redis.core import RedisChannelLayer


class ShortReadRedisChannelLayer(RedisChannelLayer):
    """channels_redis waits for a process's messages with BZPOPMIN of ``brpop_timeout`` seconds
    (5 by default), and the connection's socket timeout must outlast that wait. One second here
    lets the socket timeout be two (CHANNEL_REDIS_SOCKET_TIMEOUT): a hung Redis then fails a send,
    a group join or that read within two seconds instead of hanging pages and sockets. The price
    is one idle round trip per second per process."""

    brpop_timeout = 1
