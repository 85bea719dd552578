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

from django.core.cache.backends import redis as django_redis

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
