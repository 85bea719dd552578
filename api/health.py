"""`GET /health` for load balancers and monitors: the state of each database, the cache and
the Celery broker. No authentication and no rate limit, and no detail an attacker could use.

- every check passes: 200, `"status": "ok"`;
- only the cache or the broker (Redis) fails: 200, `"status": "degraded"`, and `degraded`
  lists them. The node still serves requests in degraded mode (docs/operations.md, "Redis
  outage"); taking every node out of rotation would turn a Redis outage into a full one;
- a database fails: 503, `"status": "down"`: the node cannot serve;
- a room's background job has stalled (checks registered in `core.health`, e.g.
  `recurring_invoices`: the generator has not run for more than a day): 200, `"status":
  "degraded"`, that check `"stale"`. Monitors see a dead scheduler; the node itself still
  serves, so it stays in rotation.
"""

import logging
import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from kombu import Connection

from core.health import health_checks

logger = logging.getLogger("ledgerline.health")

BROKER_TIMEOUT = 2  # seconds: a health check must answer well within the balancer's timeout


def check_database(alias: str) -> None:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache() -> None:
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "ok", timeout=10)
    try:
        if cache.get(key) != "ok":
            raise RuntimeError("the cache did not return the value just written")
    finally:
        cache.delete(key)


def check_broker() -> str:
    url = settings.CELERY_BROKER_URL
    if url.startswith("memory://"):
        # No broker configured: tasks run in-process (contract section 1), nothing to reach.
        return "in-process"
    with Connection(url, connect_timeout=BROKER_TIMEOUT) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT)
    return "ok"


def _run(check, *args) -> dict:
    started = time.monotonic()
    try:
        detail = check(*args) or "ok"
    except Exception as exc:
        logger.warning("health check %s failed: %s", check.__name__, exc)
        return {"status": "down", "error": type(exc).__name__}
    return {"status": "ok", "detail": detail, "ms": round((time.monotonic() - started) * 1000)}


def _run_registered(name: str, check) -> dict:
    started = time.monotonic()
    try:
        ok, detail = check()
    except Exception as exc:
        logger.warning("health check %s failed: %s", name, exc)
        return {"status": "down", "error": type(exc).__name__}
    ms = round((time.monotonic() - started) * 1000)
    return {"status": "ok" if ok else "stale", "detail": detail, "ms": ms}


@never_cache
@require_safe
def health(request):
    checks = {f"database.{alias}": _run(check_database, alias) for alias in connections}
    checks["cache"] = _run(check_cache)
    checks["broker"] = _run(check_broker)
    for name, check in health_checks().items():
        checks[name] = _run_registered(name, check)
    failed = [name for name, check in checks.items() if check["status"] != "ok"]
    if any(name.startswith("database.") for name in failed):
        return JsonResponse({"status": "down", "checks": checks}, status=503)
    if failed:
        return JsonResponse({"status": "degraded", "degraded": failed, "checks": checks})
    return JsonResponse({"status": "ok", "checks": checks})
