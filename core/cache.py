"""The Redis cache backend: Django's own, with two changes that every API request feels.

Each API request touches the cache for its rate limit (django-ratelimit) and its usage count
(`users.usage`). Django's client (5.2) builds a new `redis.Redis` object for every operation
(about 80 response callbacks registered each time) and does `incr` as `EXISTS` then `INCRBY`:
two round trips, and not atomic: a rate-limit window that expires between the two leaves a
counter without a TTL that never resets, so the key stays limited for good.

- one `redis.Redis` client per connection pool, built once (redis-py clients are thread-safe
  and share the pool; the pool itself reconnects after a fork);
- `incr` as one server-side script (`EXISTS` + `INCRBY` atomically, one round trip), keeping
  Django's contract: `ValueError` when the key is missing.

`redis()` hands the shared client to code that needs Redis itself (`users.usage` counts a
request in one scripted round trip). Used when `REDIS_URL` is set (config/settings.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from django.core.cache.backends import redis as django_redis
from redis.exceptions import RedisError

T = TypeVar("T")

_INCR_IF_EXISTS = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('INCRBY', KEYS[1], ARGV[1])
end
return false
"""


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, servers, **options) -> None:
        super().__init__(servers, **options)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._client(connection_pool=self._get_connection_pool(write))
            self._clients[index] = client
        return client

    def incr(self, key, delta):
        # EVAL of a short script: Redis keeps it compiled by its hash, one round trip.
        value = self.get_client(key, write=True).eval(_INCR_IF_EXISTS, 1, key, delta)
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return value


class RedisCache(django_redis.RedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient

    def redis(self):
        """The shared client of the primary (writable) server."""
        return self._cache.get_client(write=True)

    def script(self, text: str):
        """A server-side script on the shared client, called by its hash (EVALSHA: the text
        goes over the wire once, when Redis does not know it yet)."""
        scripts = self.__dict__.setdefault("_scripts", {})
        script = scripts.get(text)
        if script is None:
            script = scripts[text] = self.redis().register_script(text)
        return script


# --- Degraded mode: the cache (Redis) unreachable ------------------------------------------
#
# Every caller of the cache on a request's path goes through `call()`, and decides what an
# outage means for it (docs/operations.md, "Redis outage"): key lookups read the database,
# rate limits fail open for a bounded time, usage counts are skipped, Idempotency-Key POSTs
# are refused with 503. After a failure the cache is left alone for `RETRY_SECONDS` in this
# process, so a Redis that hangs rather than refuses costs one timeout a second, not one per
# call; one warning is logged when the outage starts and one when it ends.

CACHE_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError)
RETRY_SECONDS = 1.0

logger = logging.getLogger("ledgerline.cache")


class CacheUnavailable(Exception):  # noqa: N818 - reads better at the call sites
    pass


class _Outage:
    def __init__(self) -> None:
        self.since: float | None = None  # monotonic time of the first failure
        self.retry_at = 0.0

    def failed(self, what: str, exc: BaseException) -> None:
        now = time.monotonic()
        if self.since is None:
            self.since = now
            logger.warning("cache unreachable (%s: %s): degraded mode", what, exc)
        self.retry_at = now + RETRY_SECONDS

    def succeeded(self) -> None:
        if self.since is not None:
            logger.warning(
                "cache reachable again after %.1f s: normal mode", time.monotonic() - self.since
            )
            self.since = None


_outage = _Outage()


def outage_seconds() -> float | None:
    """How long this process has found the cache unreachable, or None when it is fine."""
    return None if _outage.since is None else time.monotonic() - _outage.since


def call(what: str, func: Callable[..., T], *args, **kwargs) -> T:
    """`func(*args, **kwargs)`, or `CacheUnavailable` when the cache is (known to be) down."""
    if _outage.since is not None and time.monotonic() < _outage.retry_at:
        raise CacheUnavailable(what)
    try:
        result = func(*args, **kwargs)
    except CACHE_ERRORS as exc:
        _outage.failed(what, exc)
        raise CacheUnavailable(what) from exc
    _outage.succeeded()
    return result
