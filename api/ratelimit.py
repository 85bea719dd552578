"""Per-key rate limits on the shared cache (Redis in production), via django-ratelimit."""

import time
from dataclasses import dataclass

from django.conf import settings
from django_ratelimit.core import get_usage
from rest_framework.exceptions import Throttled


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


def _key_of(group, request) -> str:
    return str(request.auth.pk)


class RateLimited(Throttled):
    default_detail = "Rate limit exceeded for this API key."


def consume(request) -> Usage | None:
    """Counts this request against its key's window. Raises `RateLimited` past the limit."""
    if request.auth is None:
        return None
    usage = get_usage(
        request, group="api", key=_key_of, rate=settings.API_RATE_LIMIT, increment=True
    )
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
