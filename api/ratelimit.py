"""Per-key rate limits on the shared cache (Redis in production), via django-ratelimit.

django-ratelimit's windows and cache keys, counted by one Redis script: with the key's lookup
when the key is cached (users.key_cache.get_counting, one round trip for both), else here
(`_usage`). Without Redis it is django-ratelimit's own `get_usage`. A key's window is keyed by
the key's hash.

With the cache unreachable (core.cache degraded mode) the limiter fails open: requests are
served uncounted, with a warning logged when the outage starts, for at most
`RATELIMIT_FAIL_OPEN_SECONDS` of outage in this process. Past that the API answers 503 with
`Retry-After`, so a long outage cannot become unlimited access (docs/operations.md).
"""

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django_ratelimit import ALL
from django_ratelimit.core import (
    EXPIRATION_FUDGE,
    _get_window,
    _make_cache_key,
    _split_rate,
    get_usage,
)
from rest_framework.exceptions import APIException, Throttled

from core.cache import CacheUnavailable, RedisCache, call, outage_seconds

# What a client is told to wait when the limiter has been down too long.
UNAVAILABLE_RETRY_SECONDS = 30


@dataclass(frozen=True)
class Usage:
    limit: int
    remaining: int
    reset: int

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }


# Count, and give a new window its TTL, atomically: one round trip where django-ratelimit's
# `cache.add` then `cache.incr` takes two on every request after a window's first.
_COUNT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n
"""


@dataclass(frozen=True)
class Window:
    """A rate window in Redis: the counter's name, the limit, the window's end (epoch
    seconds) and the counter's TTL."""

    name: str
    limit: int
    ends: int
    ttl: int

    def usage(self, count: int) -> dict:
        """What django-ratelimit's `get_usage` answers for `count` requests in this window."""
        return {
            "count": count,
            "limit": self.limit,
            "should_limit": count > self.limit,
            "time_left": self.ends - int(time.time()),
        }


def _window(group: str, value: str, rate: str) -> Window | None:
    """django-ratelimit's window and cache key for `value` in `group`; None without Redis or
    with RATELIMIT_ENABLE off (django-ratelimit's own `get_usage` counts then)."""
    backend = caches[settings.RATELIMIT_USE_CACHE]
    if not isinstance(backend, RedisCache) or not getattr(settings, "RATELIMIT_ENABLE", True):
        return None
    limit, period = _split_rate(rate)
    ends = _get_window(value, period)
    name = backend.make_and_validate_key(_make_cache_key(group, ends, rate, value, ALL))
    return Window(name=name, limit=limit, ends=ends, ttl=period + EXPIRATION_FUDGE)


def _usage(request, *, group: str, key, rate: str) -> dict | None:
    """django-ratelimit's `get_usage(..., increment=True)`: the same windows, cache keys and
    answer, counted in one Redis round trip (tests/api/test_ratelimit.py holds the two to the
    same counter). Without Redis, or with RATELIMIT_ENABLE off, it is django-ratelimit's own."""
    window = _window(group, key(group, request), rate)
    if window is None:
        return get_usage(request, group=group, key=key, rate=rate, increment=True)
    backend = caches[settings.RATELIMIT_USE_CACHE]
    return window.usage(int(backend.script(_COUNT)(keys=[window.name], args=[window.ttl])))


def _key_of(group, request) -> str:
    # The key's hash, not its id: the window can then be counted while the key is looked up
    # (users.key_cache.get_counting), before its id is known.
    return request.auth.key_hash


def api_window(key_hash: str) -> Window | None:
    """The API rate window of the key with `key_hash`, the one `_usage` counts in; None
    without Redis or with RATELIMIT_ENABLE off (then `consume` counts as usual)."""
    return _window("api", key_hash, settings.API_RATE_LIMIT)


class RateLimited(Throttled):
    default_detail = "Rate limit exceeded for this API key."


class LimiterUnavailable(APIException):
    status_code = 503
    default_detail = "Service temporarily unavailable: rate limiting is down. Retry later."
    default_code = "service_unavailable"

    def __init__(self) -> None:
        super().__init__()
        self.wait = UNAVAILABLE_RETRY_SECONDS


def _uncounted(rate: str) -> Usage | None:
    """The limiter is down: fail open within the bound, refuse with 503 past it."""
    down_for = outage_seconds() or 0.0
    if down_for > settings.RATELIMIT_FAIL_OPEN_SECONDS:
        raise LimiterUnavailable()
    # The contract's headers on every authenticated response; nothing is being counted, so
    # the full allowance and the end of a fresh window are the honest figures.
    limit, period = _split_rate(rate)
    return Usage(limit=limit, remaining=limit, reset=int(time.time()) + period)


def consume(request) -> Usage | None:
    """Counts this request against its key's window. Raises `RateLimited` past the limit."""
    if request.auth is None:
        return None
    rate = settings.API_RATE_LIMIT
    counted = getattr(request, "rate_counted", None)
    try:
        if counted is not None:  # counted with the key's lookup (users.authentication)
            count, window = counted
            usage = window.usage(count)
        else:
            usage = call("rate limit", _usage, request, group="api", key=_key_of, rate=rate)
    except CacheUnavailable:
        result = _uncounted(rate)
        request.rate_usage = result
        return result
    if usage is None:  # RATELIMIT_ENABLE is off
        return None
    now = int(time.time())
    time_left = max(usage["time_left"], 1)
    result = Usage(
        limit=usage["limit"],
        remaining=max(usage["limit"] - usage["count"], 0),
        reset=now + time_left,
    )
    request.rate_usage = result
    if usage["should_limit"]:
        raise RateLimited(
            wait=time_left,
            detail=f"Rate limit exceeded: {usage['limit']} requests per window for this API "
            f"key. Retry in {time_left} seconds.",
        )
    return result


def client_ip(request) -> str:
    """The client's address for per-IP limits (anonymous paths here, admin login lockouts in
    django-axes). Behind `TRUSTED_PROXY_COUNT` proxies that each append to X-Forwarded-For,
    the client is the entry that many places from the end (anything before it is the
    client's to forge); with none, the socket's peer."""
    hops = settings.TRUSTED_PROXY_COUNT
    if hops > 0:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR") or "0.0.0.0"  # noqa: S104 - a key, not a bind


def _address(group, request) -> str:
    return client_ip(request)


@dataclass(frozen=True)
class Refusal:
    limit: int
    wait: int  # seconds, at least 1


def address_limit_consume(request, *, group: str, rate: str) -> Refusal | None:
    """Counts the request against its address's `rate` window in `group` (the anonymous API
    paths, the client portal); past it, what to tell the client. Fails open (None) while the
    cache is unreachable (core.cache degraded mode) or with RATELIMIT_ENABLE off."""
    try:
        usage = call(f"{group} rate limit", _usage, request, group=group, key=_address, rate=rate)
    except CacheUnavailable:
        return None
    if usage is None or not usage["should_limit"]:
        return None
    return Refusal(limit=usage["limit"], wait=max(usage["time_left"], 1))


def login_username(request, credentials: dict | None) -> str | None:
    """The account a login attempt is counted against (django-axes): the email as typed,
    case and spaces folded, so `Boss@Example.com ` does not start a fresh count."""
    # Some of axes' calls pass empty credentials: the form's POST has the name then.
    username = (credentials or {}).get("username") or request.POST.get("username")
    return str(username).strip().lower() if username else None
