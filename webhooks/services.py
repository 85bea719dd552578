"""Webhook writes: publishing events into the outbox, and managing endpoints.

Publishing: call `event_publish` / `events_publish_many` inside the service's own `atomic()`
block, so the event commits, or rolls back, with the change it announces. After the commit
the delivery is queued; if queueing fails (broker down) nothing is lost, because the beat
sweep (`webhooks.tasks.sweep_due_deliveries`) fans out every event still waiting.

Endpoint writes (create, update, delete, disable, test) and delivery retries append an audit
entry in their transaction (`webhook.*`, `webhook_delivery.retried`), never with the secret.
The outbox itself (events, deliveries, attempts) is a log, not audited.

Imports go one way inside the room: services <- delivery <- tasks. Services never import the
tasks: `webhooks.apps` registers the task that delivers (`dispatcher_register`) when the app
loads, and services call it after the commit through `_dispatch_after_commit`.
"""

import logging
from collections.abc import Callable
from functools import partial

from django.utils import timezone

from audit.changes import diff_fields, snapshot
from audit.services import audit_created, audit_deleted, audit_record, audit_updated
from core.db import atomic, bulk_create_json, current_alias, on_commit
from core.errors import ConflictError, DomainValidationError
from core.serialization import to_json_data
from webhooks import catalog
from webhooks.models import Delivery, Endpoint, Event
from webhooks.signing import secret_new
from webhooks.target_guard import url_target_problem

logger = logging.getLogger("ledgerline.webhooks")

ENDPOINT_DISABLED = "The endpoint is disabled: re-enable it (PATCH active=true) first."
IN_FLIGHT = "The delivery is being sent right now; retry once this attempt is logged."
DELIVERY_RETRY_FIELDS = ["status", "next_attempt_at", "completed_at"]
# What the audit trail shows of an endpoint: everything but its secret.
ENDPOINT_AUDIT_FIELDS = [
    "url",
    "events",
    "active",
    "disabled_reason",
    "disabled_at",
    "failing_since",
    "owner",
]


# `dispatcher(event_ids, db_alias)` queues "fan these events out (if any), then deliver what is
# due" on the given database. Registered by WebhooksConfig.ready (webhooks.tasks.dispatch).
Dispatcher = Callable[[list[int], str], None]
_dispatchers: list[Dispatcher] = []


def dispatcher_register(dispatcher: Dispatcher) -> None:
    """Sets the function services call after a commit to get deliveries going."""
    _dispatchers[:] = [dispatcher]


def _dispatch_after_commit(event_ids: list[int], db_alias: str) -> None:
    """Runs after the commit. A failure here is logged, never raised: the change is already
    committed and its events (or due deliveries) are in the database, where the sweep will
    find them."""
    try:
        for dispatcher in _dispatchers:
            dispatcher(event_ids, db_alias)
    except Exception:
        logger.warning(
            "could not queue delivery of events %s; the sweep will deliver them",
            event_ids,
            exc_info=True,
        )


def _checked_type(event_type: str) -> str:
    if not catalog.is_known(event_type):
        # A programming error in the caller, not bad input: fail loudly in its tests.
        raise ValueError(f"{event_type!r} is not in webhooks.catalog.EVENT_TYPES")
    return event_type


def event_publish(*, event_type: str, data: dict) -> Event:
    """Writes one event; `data` is the resource as the API shows it.

    Guarantees: the event is stored in the caller's transaction (so it exists exactly when the
    change does), and after the commit its delivery is queued, or left to the sweep if the
    broker is unreachable.
    """
    event = Event.objects.create(type=_checked_type(event_type), data=to_json_data(data))
    on_commit(partial(_dispatch_after_commit, [event.pk], current_alias()))
    return event


def events_publish_many(*, event_type: str, items: list[dict]) -> list[Event]:
    """One INSERT for many events of a type (batch endpoints), and one task for all of them."""
    _checked_type(event_type)
    events = bulk_create_json(
        Event.objects,
        [Event(type=event_type, data=to_json_data(item)) for item in items],
        json_fields=("data",),
    )
    event_ids = [event.pk for event in events if event.pk is not None]
    if event_ids:
        on_commit(partial(_dispatch_after_commit, event_ids, current_alias()))
    return events


def _clean_events(events: list[str]) -> list[str]:
    if not events:
        raise DomainValidationError({"events": 'Choose at least one event type, or "*".'})
    for name in events:
        if name != catalog.WILDCARD and not catalog.is_known(name):
            raise DomainValidationError(
                {"events": f"Unknown event type: {name}. See GET /api/v2/events."}
            )
    # Keep the caller's order, drop repeats.
    return list(dict.fromkeys(events))


def _clean_url(url: str) -> str:
    problem = url_target_problem(url)
    if problem:
        raise DomainValidationError({"url": problem})
    return url


def webhook_endpoint_create(
    *, url: str, events: list[str], owner=None, active: bool = True
) -> Endpoint:
    """Registers an endpoint with a new `whsec_` secret. The URL must be http(s) and resolve
    only to public addresses (unless private targets are allowed); events must be in the
    catalog or `*`. An endpoint registered inactive receives nothing until activated."""
    events = _clean_events(events)
    url = _clean_url(url)
    with atomic():
        endpoint = Endpoint.objects.create(
            url=url,
            events=events,
            secret=secret_new(),
            owner_id=getattr(owner, "pk", None),
            active=active,
        )
        audit_created(resource="webhook", row=endpoint, fields=ENDPOINT_AUDIT_FIELDS)
    return endpoint


def webhook_endpoint_update(
    *,
    endpoint: Endpoint,
    url: str | None = None,
    events: list[str] | None = None,
    active: bool | None = None,
) -> Endpoint:
    """Changes `url`, `events` and/or `active` (None leaves a field as it is). Re-enabling
    clears the disabled reason and the failure streak; disabling fails the endpoint's pending
    deliveries (they can be re-sent)."""
    before = snapshot(endpoint, ENDPOINT_AUDIT_FIELDS)
    fields: list[str] = []
    if events is not None:
        endpoint.events = _clean_events(events)
        fields.append("events")
    if url is not None and url != endpoint.url:
        endpoint.url = _clean_url(url)
        fields.append("url")
    with atomic():
        if active is not None and active != endpoint.active:
            if active:
                _endpoint_enable(endpoint)
                fields += ["active", "disabled_reason", "disabled_at", "failing_since"]
            else:
                _endpoint_disable(endpoint=endpoint, reason="Disabled by an administrator.")
        if fields:
            endpoint.save(update_fields=[*fields, "updated_at"])
        audit_updated(resource="webhook", row=endpoint, before=before, fields=ENDPOINT_AUDIT_FIELDS)
    return endpoint


def _endpoint_enable(endpoint: Endpoint) -> None:
    endpoint.active = True
    endpoint.disabled_reason = ""
    endpoint.disabled_at = None
    endpoint.failing_since = None


def endpoint_disable(*, endpoint: Endpoint, reason: str) -> bool:
    """Turns the endpoint off with a reason its owner can see, and fails its pending
    deliveries. Returns False when it was already disabled (nothing changed, nothing recorded).
    Called by the delivery runs (as the task or command running them)."""
    before = snapshot(endpoint, ENDPOINT_AUDIT_FIELDS)
    with atomic():
        changed = _endpoint_disable(endpoint=endpoint, reason=reason)
        if changed:
            audit_updated(
                resource="webhook", row=endpoint, before=before, fields=ENDPOINT_AUDIT_FIELDS
            )
    return changed


def _endpoint_disable(*, endpoint: Endpoint, reason: str) -> bool:
    now = timezone.now()
    with atomic():
        changed = Endpoint.objects.filter(pk=endpoint.pk, active=True).update(
            active=False, disabled_reason=reason, disabled_at=now, updated_at=now
        )
        if changed:
            Delivery.objects.filter(endpoint=endpoint, status=Delivery.Status.PENDING).update(
                status=Delivery.Status.FAILED,
                next_attempt_at=None,
                completed_at=now,
                last_error=f"Not sent: the endpoint was disabled ({reason})",
            )
    endpoint.active, endpoint.disabled_reason, endpoint.disabled_at = False, reason, now
    return bool(changed)


def webhook_endpoint_delete(*, endpoint: Endpoint) -> None:
    """Deletes the endpoint with its deliveries and their attempts (events stay). Raises
    Endpoint.DoesNotExist (a 404) when it is already gone: of two concurrent deletes, the
    second waits for the first's row lock, then finds nothing."""
    with atomic():
        locked = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
        audit_deleted(resource="webhook", row=locked, fields=ENDPOINT_AUDIT_FIELDS)
        locked.delete()


def webhook_endpoint_test(*, endpoint: Endpoint) -> Delivery:
    """Sends a `ping` event to this endpoint only (other endpoints never see it)."""
    if not endpoint.active:
        raise ConflictError(ENDPOINT_DISABLED)
    now = timezone.now()
    with atomic():
        event = Event.objects.create(
            type=catalog.PING,
            data={"endpoint_id": endpoint.pk, "message": "Test event from Ledgerline."},
            fanned_out_at=now,
        )
        delivery = Delivery.objects.create(event=event, endpoint=endpoint, next_attempt_at=now)
        audit_record(
            action="webhook.tested",
            resource="webhook",
            resource_id=endpoint.pk,
            changes={"delivery_id": [None, delivery.pk]},
        )
        on_commit(partial(_dispatch_after_commit, [], current_alias()))
    return delivery


def delivery_retry(*, delivery: Delivery) -> Delivery:
    """Makes a delivery due now and queues it, whatever its status: a re-send of a delivered
    message carries the same `webhook-id`, so a receiver that deduplicates ignores it. A
    delivery that has used all its retries gets this one attempt."""
    with atomic():
        delivery = (
            Delivery.objects.select_for_update().select_related("endpoint").get(pk=delivery.pk)
        )
        if not delivery.endpoint.active:
            raise ConflictError(ENDPOINT_DISABLED)
        if delivery.claimed_until is not None and delivery.claimed_until > timezone.now():
            # Making it due now would let a second worker send it beside the one in flight.
            raise ConflictError(IN_FLIGHT)
        before = snapshot(delivery, DELIVERY_RETRY_FIELDS)
        delivery.status = Delivery.Status.PENDING
        delivery.next_attempt_at = timezone.now()
        delivery.completed_at = None
        delivery.claimed_until = None
        delivery.save(update_fields=["status", "next_attempt_at", "completed_at", "claimed_until"])
        audit_record(
            action="webhook_delivery.retried",
            resource="webhook_delivery",
            resource_id=delivery.pk,
            changes=diff_fields(before, snapshot(delivery, DELIVERY_RETRY_FIELDS)),
        )
        on_commit(partial(_dispatch_after_commit, [], current_alias()))
    return delivery
