"""API usage monitoring: per key, per UTC day, requests by status class, plus each key's
request count and last use (users.ApiKeyUsage and users.ApiKey, shown in the admin).

Counting happens in the shared cache (Redis INCR: atomic across processes, no row lock), not
in the database: a per-request UPDATE on the key's row and an UPSERT on its day row made every
concurrent request of one integration queue on the same two row locks (docs/performance.md).
The buffered counts reach the database at most once per `API_USAGE_FLUSH_SECONDS` per key,
written by the first request after the interval, by the beat task `users.tasks.flush_api_usage`,
and whenever the admin shows usage, so what staff see is current.

With the cache unreachable (core.cache degraded mode) requests are not counted and nothing is
flushed: monitoring never fails or slows a request, and the counts of an outage are lost.
"""

import logging
import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache, caches
from django.utils import timezone

from core.cache import CacheUnavailable, RedisCache, call
from users.models import ApiKey
from users.services import USAGE_COLUMNS, api_key_usage_add, api_key_use_add

logger = logging.getLogger("ledgerline.api")

COUNTER_TTL = 3 * 24 * 3600  # outlives any flush delay, even a beat outage of a day

# On Redis, `record` is one round trip: count, stamp the last use, and take the flush gate.
# Returns 1 when the gate was free (this request flushes), 0 otherwise. Values are integers,
# which Django's Redis serializer stores raw, so `cache.get_many` reads them back as ints.
_RECORD = """
if redis.call('INCR', KEYS[1]) == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[1])
if redis.call('SET', KEYS[3], 1, 'NX', 'EX', ARGV[3]) then return 1 end
return 0
"""


def _counter(api_key_id: int, day, status_class: int) -> str:
    return f"usage:{api_key_id}:{day.isoformat()}:{status_class}xx"


def _last_used(api_key_id: int) -> str:
    return f"usage:{api_key_id}:last"


def _flush_gate(api_key_id: int) -> str:
    return f"usage:{api_key_id}:flushed"


def _incr(name: str) -> None:
    try:
        cache.incr(name)
    except ValueError:  # no counter yet
        if not cache.add(name, 1, timeout=COUNTER_TTL):
            cache.incr(name)


def record(request, response) -> None:
    """Counts one response to a request made with a key; flushes that key if it is due."""
    api_key = getattr(request, "auth", None)
    status_class = response.status_code // 100
    if api_key is None or status_class not in USAGE_COLUMNS:
        return
    try:
        counter = _counter(api_key.pk, timezone.now().date(), status_class)
        if call("usage count", _count, counter, api_key.pk, settings.API_USAGE_FLUSH_SECONDS):
            flush_key(api_key.pk)
    except CacheUnavailable:
        pass  # not counted; the outage itself is logged once by core.cache
    except Exception:
        # Monitoring must never turn a served request into an error.
        logger.exception("could not count API usage for key %s", api_key.pk)


def _count(counter: str, api_key_id: int, interval: int) -> bool:
    """Counts one request and stamps the key's last use; True when a flush is due."""
    now = int(time.time())  # whole seconds: an int is stored raw, like the counters
    gate = _flush_gate(api_key_id)
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        keys = [backend.make_and_validate_key(k) for k in (counter, _last_used(api_key_id), gate)]
        return bool(backend.script(_RECORD)(keys=keys, args=[COUNTER_TTL, now, interval]))
    _incr(counter)
    cache.set(_last_used(api_key_id), now, timeout=COUNTER_TTL)
    return cache.add(gate, 1, timeout=interval)


def flush_key(api_key_id: int) -> int:
    """Moves the key's buffered counts into the database; returns how many requests moved.

    Each counter is decremented by exactly what was read (atomic DECRBY), so requests counted
    meanwhile stay buffered for the next flush. A short mutex keeps two flushers of one key
    from writing the same counts twice.
    """
    try:
        return call("usage flush", _flush_key, api_key_id)
    except CacheUnavailable:
        return 0  # the counts wait in Redis, if it kept them, for the next flush


def _flush_key(api_key_id: int) -> int:
    mutex = f"usage:{api_key_id}:flushing"
    if not cache.add(mutex, 1, timeout=30):
        return 0
    try:
        today = timezone.now().date()
        days = [today - timedelta(days=1), today]
        names = {(day, c): _counter(api_key_id, day, c) for day in days for c in USAGE_COLUMNS}
        values = cache.get_many([*names.values(), _last_used(api_key_id)])
        moved = 0
        for day in days:
            counts = {c: int(values.get(names[(day, c)]) or 0) for c in USAGE_COLUMNS}
            counts = {c: n for c, n in counts.items() if n > 0}
            if not counts:
                continue
            for status_class, n in counts.items():
                cache.decr(names[(day, status_class)], n)
            api_key_usage_add(api_key_id=api_key_id, day=day, counts=counts)
            moved += sum(counts.values())
        if moved:
            last = values.get(_last_used(api_key_id)) or time.time()
            api_key_use_add(
                api_key_id=api_key_id,
                requests=moved,
                last_used_at=datetime.fromtimestamp(float(last), tz=UTC),
            )
        return moved
    finally:
        cache.delete(mutex)


def flush_all() -> int:
    """Flushes every key that may have buffered counts (all keys not revoked for a week)."""
    recent = timezone.now() - timedelta(days=7)
    ids = ApiKey.objects.exclude(revoked_at__lt=recent).values_list("pk", flat=True)
    return sum(flush_key(pk) for pk in ids)


class ApiUsageMiddleware:
    """Counts every response to a request made with an API key, whatever answered it (the
    view, the exception handler, an idempotent replay). DRF's authentication leaves the key on
    the Django request as `request.auth`; the API hallway itself knows nothing of keys."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        record(request, response)
        return response
