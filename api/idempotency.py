"""`Idempotency-Key` on POST (contract section 4; decisions in docs/api-platform.md).

A client that retries a POST with the same `Idempotency-Key` gets the first response back
(same status, same body, plus `Idempotent-Replayed: true`) and nothing is created twice.

How it works, per API key and idempotency key, in the shared cache (Redis in production, so
every web process sees the same records):

1. `begin()` runs after authentication, the role check and the rate limit, before the view.
   It claims the key with an atomic `cache.add` of a "running" record (the lock). If the key
   is already claimed: same request still running → 409; a different request (method, path
   or body) → 422; same request finished → the stored response is replayed.
2. `finish()` runs on the response. A result the endpoint produced (2xx, and 4xx such as a
   validation error or a conflict) is stored for 24 hours, like Stripe does. A 5xx is not
   stored and frees the key: the service's transaction rolled back, so a retry is safe and
   should run again. Requests refused before the endpoint ran (401, 403, 429, a malformed
   `Idempotency-Key`) never touch the store.

With the store unreachable (Redis down, core.cache degraded mode) a POST that carries an
`Idempotency-Key` is refused with 503 and `Retry-After`, before the endpoint runs: the client
asked for at-most-once, and running it without the record could charge twice on its retry. A
POST without the header, and every other method, is served as usual.
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.core.cache import cache
from django.http import HttpResponse
from rest_framework import status
from rest_framework.exceptions import APIException

from core.cache import CacheUnavailable, call
from core.errors import ConflictError, DomainValidationError, UnprocessableError

logger = logging.getLogger("ledgerline.api")

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
RECORD_TTL = int(timedelta(hours=24).total_seconds())
# How long a claimed key stays locked if the process dies mid-request: longer than any request
# may run (gunicorn's timeout, config/gunicorn.conf.py), short enough to unblock a retry.
LOCK_TTL = 120
# Response headers worth replaying besides the body (the rest are per request).
REPLAYED_HEADERS = ("Location",)


# What a client is told to wait when the store is unreachable.
UNAVAILABLE_RETRY_SECONDS = 30


class IdempotencyUnavailable(APIException):
    status_code = 503
    default_detail = (
        f"Service temporarily unavailable: requests with an {HEADER} cannot be processed "
        "safely right now. Retry later with the same key."
    )
    default_code = "service_unavailable"

    def __init__(self) -> None:
        super().__init__()
        self.wait = UNAVAILABLE_RETRY_SECONDS


class IdempotentReplay(Exception):  # noqa: N818 - a control-flow signal, not an error
    def __init__(self, response: HttpResponse):
        super().__init__("idempotent replay")
        self.response = response


@dataclass(frozen=True)
class Claim:
    cache_key: str
    fingerprint: str


def _fingerprint(request) -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(b"\n")
    digest.update(request.get_full_path().encode())
    digest.update(b"\n")
    digest.update(request.body)
    return digest.hexdigest()


def _cache_key(api_key_id: int, idempotency_key: str) -> str:
    # Hashed: the client's key may hold any characters, and cache keys must stay short.
    hashed = hashlib.sha256(idempotency_key.encode()).hexdigest()
    return f"idempotency:{api_key_id}:{hashed}"


def begin(request) -> None:
    """Claims the request's `Idempotency-Key`, or raises: 400 (malformed key), 409 (the same
    request is still running), 422 (the key was used for a different request), or
    `IdempotentReplay` with the stored response."""
    if request.method != "POST" or request.auth is None:
        return
    idempotency_key = request.headers.get(HEADER)
    if idempotency_key is None:
        return
    if not idempotency_key.strip() or len(idempotency_key) > MAX_KEY_LENGTH:
        raise DomainValidationError(
            {HEADER: f"{HEADER} must be between 1 and {MAX_KEY_LENGTH} characters."}
        )
    django_request = request._request
    claim = Claim(_cache_key(request.auth.pk, idempotency_key), _fingerprint(django_request))
    running = {"state": "running", "fingerprint": claim.fingerprint}
    # Two tries: the record may expire between our failed add and our read.
    for _ in range(2):
        try:
            if call("idempotency claim", cache.add, claim.cache_key, running, LOCK_TTL):
                django_request.idempotency_claim = claim
                return
            record = call("idempotency read", cache.get, claim.cache_key)
        except CacheUnavailable as exc:
            raise IdempotencyUnavailable() from exc
        if record is None:
            continue
        if record["fingerprint"] != claim.fingerprint:
            raise UnprocessableError(
                f"This {HEADER} was already used with a different request (method, path or "
                "body). Use a new key for a new request."
            )
        if record["state"] == "running":
            raise ConflictError(
                f"A request with this {HEADER} is still being processed. Retry later."
            )
        raise IdempotentReplay(_replay(record))
    raise ConflictError(f"A request with this {HEADER} is still being processed. Retry later.")


def _replay(record: dict) -> HttpResponse:
    response = HttpResponse(
        record["content"], status=record["status"], content_type=record["content_type"]
    )
    for name, value in record["headers"].items():
        response[name] = value
    response[REPLAYED_HEADER] = "true"
    return response


def finish(request, response):
    """Stores the response of a claimed request (or frees the claim on a 5xx)."""
    claim: Claim | None = getattr(request._request, "idempotency_claim", None)
    if claim is None:
        return response
    request._request.idempotency_claim = None
    if response.status_code >= status.HTTP_500_INTERNAL_SERVER_ERROR:
        try:
            call("idempotency release", cache.delete, claim.cache_key)
        except CacheUnavailable:
            pass  # the claim expires by itself after LOCK_TTL
        return response
    if hasattr(response, "render"):
        response.render()
    record = {
        "state": "done",
        "fingerprint": claim.fingerprint,
        "status": response.status_code,
        "content": bytes(response.content),
        "content_type": response.get("Content-Type", "application/json"),
        "headers": {name: response[name] for name in REPLAYED_HEADERS if name in response},
    }
    try:
        call("idempotency store", cache.set, claim.cache_key, record, RECORD_TTL)
    except CacheUnavailable:
        # Redis died while the request ran: the outage is logged once by core.cache.
        logger.warning("idempotency record %s not stored: cache unreachable", claim.cache_key)
    except Exception:
        # The work is done and committed: losing the record only loses replay protection for
        # this key, so the client still gets its answer.
        logger.exception("could not store the idempotency record %s", claim.cache_key)
    return response
