"""A short-lived cache of API-key lookups, in the shared cache (Redis in production).

Every API request looks its key up; through the ORM that is ~0.8 ms of CPU (query compile,
two model instances), the largest single cost of a small list request (docs/performance.md).
A hit is one cache GET, and with Redis it also counts the request in the key's rate window in
the same round trip (`get_counting`, used by users.authentication).

Correctness rules, each tested in tests/users/test_key_cache.py:
- Only what the database said is cached (never "unknown key": random keys must not fill the
  cache), with the user's password hash left out, and never a key that requires signatures
  (its signing secret stays in the database only).
- Any save or delete of a key, and any save of its user (role, active flag), buries the
  entry: a tombstone replaces it at once and again when the transaction commits. Readers
  store with `add`, which a tombstone blocks, so a request that read the old row just before
  the commit cannot put it back. Revoking a key, deactivating a user or changing a role
  therefore takes effect on the next request, in every process.
- Entries live `settings.API_KEY_CACHE_SECONDS` (60 with Redis) at most, the bound for any
  change made without `save()` (a queryset `update()`; the code base has none on these
  fields). Without Redis it is 0, no caching: a local-memory cache is not shared with the
  other processes (a `manage.py shell`) that could change a key.
- Expiry (`expires_at`) is checked at use, on the cached row, so it needs no invalidation.
- Redis unreachable (core.cache degraded mode): lookups go to the database, nothing is
  stored, and a change's tombstone cannot be written. An entry cached before the outage, if
  Redis comes back with it, lives out its TTL (API_KEY_CACHE_SECONDS) at most: the same bound
  as any change made behind the ORM's back.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisSerializer
from django.db import transaction

from core.cache import CacheUnavailable, RedisCache, call
from users.models import ApiKey

logger = logging.getLogger("ledgerline.api")

_TOMBSTONE = "changed"
# What Django's Redis cache stores values as (ints raw, anything else pickled).
_SERIALIZER = RedisSerializer()
TOMBSTONE_SECONDS = 60


def _name(key_hash: str) -> str:
    return f"apikey:{key_hash}"


def get(key_hash: str) -> ApiKey | None:
    """The cached key (with its user) for `key_hash`, or None on a miss or a tombstone."""
    if settings.API_KEY_CACHE_SECONDS <= 0:
        return None
    try:
        value = call("key lookup", cache.get, _name(key_hash))
    except CacheUnavailable:
        return None  # the caller reads the database
    return value if isinstance(value, ApiKey) else None


# The entry and, only when there is one, a count in the caller's rate window, in one round
# trip: the request's other Redis trip, the rate limit, rides along with the lookup. An unknown
# key counts nothing here (random keys must not fill Redis with counters).
_GET_AND_COUNT = """
local entry = redis.call('GET', KEYS[1])
if not entry then return {false, false} end
local n = redis.call('INCR', KEYS[2])
if n == 1 then redis.call('EXPIRE', KEYS[2], ARGV[1]) end
return {entry, n}
"""


def get_counting(key_hash: str, *, counter: str, ttl: int) -> tuple[ApiKey | None, int | None]:
    """`get(key_hash)` that also counts one request in the Redis key `counter` (TTL `ttl` when
    new) if the cache holds an entry for the key (a tombstone too: the key exists). Returns the
    cached key (None on a miss or a tombstone) and the count (None when nothing was counted:
    no entry, no Redis, or an outage)."""
    backend = caches["default"]
    if settings.API_KEY_CACHE_SECONDS <= 0 or not isinstance(backend, RedisCache):
        return get(key_hash), None
    name = backend.make_and_validate_key(_name(key_hash))
    try:
        entry, count = call(
            "key lookup", backend.script(_GET_AND_COUNT), keys=[name, counter], args=[ttl]
        )
    except CacheUnavailable:
        return None, None  # the caller reads the database
    if entry is None:
        return None, None
    value = _SERIALIZER.loads(entry)
    return (value if isinstance(value, ApiKey) else None), int(count)


def remember(key: ApiKey) -> None:
    if key.require_signature or settings.API_KEY_CACHE_SECONDS <= 0:
        return
    try:
        call("key store", cache.add, _name(key.key_hash), key, settings.API_KEY_CACHE_SECONDS)
    except CacheUnavailable:
        pass  # served from the database this time


def forget(key_hashes: Iterable[str], using: str) -> None:
    names = [_name(h) for h in key_hashes]
    if not names or settings.API_KEY_CACHE_SECONDS <= 0:
        return  # nothing can have been cached

    def bury() -> None:
        # Outlives any entry a slow reader could still be about to store.
        # Never raises: it runs inside the change's transaction and after its commit, and a
        # cache outage must not undo (or hide) a revocation. Bounded by the entries' TTL.
        try:
            call(
                "key tombstone", cache.set_many, dict.fromkeys(names, _TOMBSTONE), TOMBSTONE_SECONDS
            )
        except CacheUnavailable:
            logger.warning("could not bury cached API keys %s during a cache outage", names)

    bury()
    transaction.on_commit(bury, using=using)


def lookup_queryset():
    # Without the password hash: the cached user never needs it, and the cache is not
    # where password hashes should live. (A deferred field is loaded if ever read.)
    return ApiKey.objects.select_related("user").defer("user__password")
