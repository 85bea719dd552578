"""Sending webhooks: fan-out, claims, signed attempts, the retry schedule, disabling, the sweep.

The path of one event: `events_fan_out` creates one `Delivery` per subscribed endpoint
(idempotent: unique event x endpoint) -> `deliveries_queue` queues one Celery task per
delivery -> `delivery_attempt` claims the delivery, POSTs it, and records the `Attempt` and
the next due time. Timing lives in the database (`next_attempt_at`), never in Celery
countdowns; the beat sweep queues whatever is due, so a lost task only delays a delivery.
"""

import json
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from django.conf import settings
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.db import atomic
from webhooks.catalog import subscribes_to
from webhooks.models import Attempt, Delivery, Endpoint, Event
from webhooks.services import endpoint_disable
from webhooks.signing import signed_headers
from webhooks.target_guard import TargetNotAllowed, pinned_client

logger = logging.getLogger("ledgerline.webhooks")

DISABLE_AFTER = timedelta(days=5)
# A delivery queued this recently is not queued again by the sweep (the task is presumably
# still waiting in the broker); after this, a lost message is replaced.
REQUEUE_AFTER = timedelta(seconds=60)
BATCH = 500
EXCERPT_BYTES = 1000

_clients: dict[tuple[float, bool], httpx.Client] = {}


def _client() -> httpx.Client:
    # One pooled client per process (keep-alive matters at volume), keyed by the settings it
    # depends on so that changing them (tests) never reuses a connection made under others.
    key = (float(settings.WEBHOOK_TIMEOUT), bool(settings.WEBHOOK_ALLOW_PRIVATE_TARGETS))
    client = _clients.get(key)
    if client is None:
        client = _clients[key] = pinned_client(key[0])
    return client


def claim_lease() -> timedelta:
    # httpx's timeout applies per phase (connect, write, each read), so one attempt can take a
    # few times WEBHOOK_TIMEOUT; the lease must outlast it or a second worker would re-send.
    return timedelta(seconds=4 * settings.WEBHOOK_TIMEOUT + 30)


def retry_delay(attempt_number: int) -> timedelta | None:
    """How long after failed attempt N (from 1) the next one is due; None once the schedule
    (settings.WEBHOOK_RETRY_DELAYS) is used up and the delivery has failed for good."""
    delays = settings.WEBHOOK_RETRY_DELAYS
    if attempt_number <= len(delays):
        return timedelta(seconds=delays[attempt_number - 1])
    return None


# --- fan-out and queueing ------------------------------------------------------------------


def events_fan_out(*, event_ids: list[int] | None = None, limit: int = BATCH) -> list[int]:
    """Creates the deliveries of events not fanned out yet (these, or the oldest `limit`):
    one per active endpoint subscribed to the type (or `*`) that existed when the event
    happened. Safe to run twice or concurrently: the unique (event, endpoint) constraint drops
    repeats. Returns the ids of the pending, never-attempted deliveries of those events."""
    events_query = Event.objects.filter(fanned_out_at__isnull=True).only("id", "type", "created_at")
    if event_ids is not None:
        events_query = events_query.filter(pk__in=event_ids)
    events = list(events_query.order_by("id")[:limit])
    if not events:
        return []
    endpoints = list(Endpoint.objects.filter(active=True).only("id", "events", "created_at"))
    now = timezone.now()
    rows = [
        Delivery(event_id=event.pk, endpoint_id=endpoint.pk, next_attempt_at=now, queued_at=now)
        for event in events
        for endpoint in endpoints
        if subscribes_to(endpoint.events, event.type) and endpoint.created_at <= event.created_at
    ]
    ids = [event.pk for event in events]
    with atomic():
        if rows:
            Delivery.objects.bulk_create(rows, ignore_conflicts=True)
        Event.objects.filter(pk__in=ids, fanned_out_at__isnull=True).update(fanned_out_at=now)
    if not rows:
        return []
    return list(
        Delivery.objects.filter(
            event_id__in=ids, status=Delivery.Status.PENDING, attempt_count=0
        ).values_list("id", flat=True)
    )


def deliveries_queue(*, delivery_ids: list[int], db_alias: str) -> int:
    """Queues one attempt task per delivery; returns how many were queued. Stops at the first
    broker error (logged): the sweep queues the rest later."""
    from webhooks.tasks import attempt_delivery

    queued = 0
    for delivery_id in delivery_ids:
        try:
            attempt_delivery.apply_async(
                args=(delivery_id,), kwargs={"db_alias": db_alias}, retry=False
            )
        except Exception:
            logger.warning(
                "could not queue webhook delivery %s; the sweep will retry it",
                delivery_id,
                exc_info=True,
            )
            break
        queued += 1
    return queued


def deliveries_due(*, limit: int = BATCH, include_queued: bool = True) -> list[int]:
    """Ids of pending deliveries whose next attempt is due, oldest due first."""
    now = timezone.now()
    query = Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
    if not include_queued:
        query = query.filter(Q(queued_at__isnull=True) | Q(queued_at__lt=now - REQUEUE_AFTER))
    return list(query.order_by("next_attempt_at", "id").values_list("id", flat=True)[:limit])


def deliveries_sweep(*, db_alias: str) -> dict[str, int]:
    """The beat job for the current database: fans out events whose task never ran (broker
    down at commit, worker lost) and queues every due delivery not queued a moment ago."""
    new_ids = events_fan_out()
    due_ids = deliveries_due(include_queued=False)
    if due_ids:
        Delivery.objects.filter(pk__in=due_ids).update(queued_at=timezone.now())
    queued = deliveries_queue(delivery_ids=[*new_ids, *due_ids], db_alias=db_alias)
    return {"fanned_out": len(new_ids), "due": len(due_ids), "queued": queued}


# --- one attempt ---------------------------------------------------------------------------


def delivery_claim(*, delivery_id: int) -> datetime | None:
    """Claims the delivery's next attempt for this worker, or returns None if it is not due
    or another worker holds it.

    One conditional UPDATE: only a pending row whose `next_attempt_at` has passed matches, and
    the claim moves `next_attempt_at` to the lease's end, so no other claim can match until
    this attempt is recorded or the lease runs out (a crashed worker). The returned lease end
    is the fencing token `_record` checks: a worker whose lease was taken over cannot
    overwrite the newer attempt's outcome.
    """
    now = timezone.now()
    lease_end = now + claim_lease()
    claimed = Delivery.objects.filter(
        pk=delivery_id, status=Delivery.Status.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=lease_end, queued_at=None)
    return lease_end if claimed else None


@dataclass
class SendOutcome:
    status_code: int | None = None
    excerpt: str = ""
    error: str = ""
    duration_ms: int = 0

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300 and not self.error

    def describe(self) -> str:
        if self.error:
            return self.error
        return f"HTTP {self.status_code}"


def event_body_bytes(event: Event) -> bytes:
    return json.dumps(event.body(), separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _read_excerpt(response: httpx.Response) -> str:
    collected = b""
    for chunk in response.iter_bytes():
        collected += chunk
        if len(collected) >= EXCERPT_BYTES:
            break
    return collected[:EXCERPT_BYTES].decode("utf-8", errors="replace")


def send(*, endpoint: Endpoint, event: Event) -> SendOutcome:
    """POSTs the signed event to the endpoint once, through the SSRF-guarded client; never
    raises for anything the network or the receiver does."""
    body = event_body_bytes(event)
    headers = signed_headers(
        secret=endpoint.secret, message_id=event.public_id, timestamp=timezone.now(), body=body
    )
    headers["content-type"] = "application/json"
    outcome = SendOutcome()
    started = time.monotonic()
    try:
        with _client().stream("POST", endpoint.url, content=body, headers=headers) as response:
            outcome.status_code = response.status_code
            if response.is_redirect:
                outcome.error = (
                    f"HTTP {response.status_code} redirect to "
                    f"{response.headers.get('location', '?')} not followed: webhooks never "
                    "follow redirects; register the final URL."
                )
            try:
                outcome.excerpt = _read_excerpt(response)
            except httpx.HTTPError as exc:
                outcome.excerpt = f"(response body could not be read: {exc.__class__.__name__})"
    except TargetNotAllowed as exc:
        outcome.error = str(exc)
    except httpx.TimeoutException:
        outcome.error = f"Timed out (WEBHOOK_TIMEOUT is {settings.WEBHOOK_TIMEOUT:g} s)."
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        outcome.error = f"{exc.__class__.__name__}: {exc}" if str(exc) else exc.__class__.__name__
    outcome.duration_ms = int((time.monotonic() - started) * 1000)
    return outcome


def delivery_attempt(*, delivery_id: int) -> Attempt | None:
    """Makes the delivery's due attempt if this worker can claim it; returns the logged
    Attempt, or None when there was nothing to do (not due, claimed elsewhere, endpoint
    disabled). At most one worker sends a given attempt."""
    lease_end = delivery_claim(delivery_id=delivery_id)
    if lease_end is None:
        return None
    delivery = Delivery.objects.select_related("event", "endpoint").get(pk=delivery_id)
    if not delivery.endpoint.active:
        now = timezone.now()
        Delivery.objects.filter(pk=delivery_id, next_attempt_at=lease_end).update(
            status=Delivery.Status.FAILED,
            next_attempt_at=None,
            completed_at=now,
            last_error="Not sent: the endpoint is disabled.",
        )
        return None
    outcome = send(endpoint=delivery.endpoint, event=delivery.event)
    return _record(delivery=delivery, lease_end=lease_end, outcome=outcome)


def _record(*, delivery: Delivery, lease_end: datetime, outcome: SendOutcome) -> Attempt:
    now = timezone.now()
    number = delivery.attempt_count + 1
    endpoint = delivery.endpoint
    changes: dict = {"attempt_count": F("attempt_count") + 1, "last_attempt_at": now}
    if outcome.succeeded:
        changes.update(
            status=Delivery.Status.SUCCEEDED, next_attempt_at=None, completed_at=now, last_error=""
        )
    else:
        delay = retry_delay(number)
        changes.update(
            last_error=outcome.describe(), first_failed_at=Coalesce("first_failed_at", now)
        )
        if delay is None:
            changes.update(status=Delivery.Status.FAILED, next_attempt_at=None, completed_at=now)
        else:
            changes.update(next_attempt_at=now + delay)
    with atomic():
        attempt = Attempt.objects.create(
            delivery=delivery,
            number=number,
            status_code=outcome.status_code,
            succeeded=outcome.succeeded,
            duration_ms=outcome.duration_ms,
            response_excerpt=outcome.excerpt,
            error=outcome.error,
            created_at=now,
        )
        recorded = Delivery.objects.filter(pk=delivery.pk, next_attempt_at=lease_end).update(
            **changes
        )
        if not recorded:
            logger.warning(
                "delivery %s: lease expired during attempt %s; outcome logged, state left to "
                "the newer claim",
                delivery.pk,
                number,
            )
        if outcome.succeeded:
            if endpoint.failing_since is not None:
                Endpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
        else:
            Endpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(
                failing_since=now
            )
    if not outcome.succeeded:
        _disable_if_failing_too_long(endpoint=endpoint, now=now, last=outcome)
    return attempt


def _disable_if_failing_too_long(*, endpoint: Endpoint, now: datetime, last: SendOutcome) -> None:
    since = (
        Endpoint.objects.filter(pk=endpoint.pk, active=True, failing_since__lte=now - DISABLE_AFTER)
        .values_list("failing_since", flat=True)
        .first()
    )
    if since is None:
        return
    reason = (
        f"Every delivery attempt has failed since {since:%Y-%m-%d %H:%M} UTC (5 days or "
        f"more); last error: {last.describe()}. Fix the endpoint, then re-enable it."
    )
    if endpoint_disable(endpoint=endpoint, reason=reason):
        logger.warning("webhook endpoint %s disabled: %s", endpoint.pk, reason)


# --- ops -----------------------------------------------------------------------------------


@dataclass
class DrainSummary:
    events_fanned_out: int = 0
    attempts: int = 0
    succeeded: int = 0
    retrying: int = 0
    gave_up: int = 0
    endpoints_disabled: list[int] = field(default_factory=list)


def deliveries_drain() -> DrainSummary:
    """Delivers everything due now in this process, without a worker or broker (ops, and
    `make run` without Redis): fans out waiting events, then attempts due deliveries until
    none is due. Each delivery is attempted at most once per run."""
    summary = DrainSummary()
    while True:
        fanned = Event.objects.filter(fanned_out_at__isnull=True).values_list("id", flat=True)
        batch = list(fanned[:BATCH])
        if not batch:
            break
        events_fan_out(event_ids=batch)
        summary.events_fanned_out += len(batch)
    active_before = set(Endpoint.objects.filter(active=True).values_list("id", flat=True))
    seen: set[int] = set()
    while True:
        ids = [pk for pk in deliveries_due(limit=BATCH) if pk not in seen]
        if not ids:
            break
        for delivery_id in ids:
            seen.add(delivery_id)
            attempt = delivery_attempt(delivery_id=delivery_id)
            if attempt is None:
                continue
            summary.attempts += 1
            if attempt.succeeded:
                summary.succeeded += 1
            elif Delivery.objects.filter(pk=delivery_id, status=Delivery.Status.PENDING).exists():
                summary.retrying += 1
            else:
                summary.gave_up += 1
    active_after = set(Endpoint.objects.filter(active=True).values_list("id", flat=True))
    summary.endpoints_disabled = sorted(active_before - active_after)
    return summary


def attempts_prune(*, older_than_days: int) -> int:
    """Deletes attempts logged more than `older_than_days` days ago; returns how many. The
    deliveries keep their status, counts and last error."""
    cutoff = timezone.now() - timedelta(days=older_than_days)
    deleted, _ = Attempt.objects.filter(created_at__lt=cutoff).delete()
    return deleted
