"""Whether live messaging (the channel layer's Redis) answers, for the pages' banner.

Off the request path: a page reads the last answer known to this process; when it is older than
LIVE_STATUS_CHECK_INTERVAL seconds, one background thread asks Redis again (a PING with the Redis
timeouts). So a page never waits on Redis for the banner, not even on a hung one; the banner
appears, and goes, within an interval of Redis going down or coming back.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import redis
from django.conf import settings
from redis.exceptions import RedisError

#: What the Redis channel layer raises when Redis is down or hung past its socket timeout
#: (TimeoutError is an OSError).
LAYER_ERRORS = (RedisError, OSError)

logger = logging.getLogger(__name__)


@dataclass
class _Known:
    available: bool = True  # until a check says otherwise: no banner for nothing
    checked_at: float = float("-inf")
    checking: bool = False


_lock = threading.Lock()
_known: dict[str, _Known] = {}  # Redis address → what was last found


def _address() -> str | None:
    """The channel layer's Redis, or None for a layer without one (in-memory: always there)."""
    hosts = settings.CHANNEL_LAYERS.get("default", {}).get("CONFIG", {}).get("hosts") or []
    if not hosts:
        return None
    host = hosts[0]
    return host.get("address") if isinstance(host, dict) else str(host)


def live_messaging_available() -> bool:
    """The last known answer (never blocks); starts a check when it is stale."""
    address = _address()
    if address is None:
        return True
    with _lock:
        known = _known.setdefault(address, _Known())
        stale = time.monotonic() - known.checked_at > settings.LIVE_STATUS_CHECK_INTERVAL
        if stale and not known.checking:
            known.checking = True
            threading.Thread(target=_check, args=(address,), name="live-status", daemon=True).start()
        return known.available


def mark(*, available: bool) -> None:
    """A call to the channel layer just failed, or worked: believe it until the next check."""
    address = _address()
    if address is None:
        return
    with _lock:
        known = _known.setdefault(address, _Known())
        known.available, known.checked_at = available, time.monotonic()


def _check(address: str) -> None:
    available = False
    try:
        client = redis.Redis.from_url(
            address,
            socket_connect_timeout=settings.REDIS_CONNECT_TIMEOUT,
            socket_timeout=settings.REDIS_SOCKET_TIMEOUT,
        )
        try:
            available = bool(client.ping())
        finally:
            client.close()
    except LAYER_ERRORS:
        pass
    finally:  # whatever happened, the next look may check again
        with _lock:
            known = _known[address]
            if known.available and not available:
                logger.warning("live messaging: the channel layer's Redis does not answer")
            known.available, known.checked_at, known.checking = available, time.monotonic(), False
