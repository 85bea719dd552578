"""Thin Celery tasks: ids in, `webhooks.delivery` does the work. Each is safe to run twice
(fan-out is idempotent, attempts are claimed), which `task_acks_late` relies on."""

import logging

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError

from core.db import LIVE, using_alias
from webhooks import delivery

logger = logging.getLogger("ledgerline.webhooks")


@shared_task(ignore_result=True)
def dispatch_events(event_ids: list[int], db_alias: str = LIVE) -> None:
    """Queued after the commit that published the events: fan out, then queue each attempt."""
    with using_alias(db_alias):
        delivery_ids = delivery.events_fan_out(event_ids=event_ids)
        delivery.deliveries_queue(delivery_ids=delivery_ids, db_alias=db_alias)


@shared_task(ignore_result=True)
def attempt_delivery(delivery_id: int, db_alias: str = LIVE) -> None:
    with using_alias(db_alias):
        delivery.delivery_attempt(delivery_id=delivery_id)


@shared_task(ignore_result=True)
def sweep_due_deliveries(db_alias: str | None = None) -> dict[str, dict[str, int]]:
    """Celery beat, every 5 s: on each database (live and sandbox unless one is named), fan
    out events whose task never ran and queue due deliveries. One database failing does not
    stop the other."""
    results: dict[str, dict[str, int]] = {}
    for alias in [db_alias] if db_alias else list(settings.DATABASES):
        try:
            with using_alias(alias):
                results[alias] = delivery.deliveries_sweep(db_alias=alias)
        except DatabaseError:
            logger.exception("webhook sweep failed on database %s", alias)
    return results
