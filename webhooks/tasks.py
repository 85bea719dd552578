"""Celery tasks and queueing: ids in, `webhooks.delivery` does the work. Each task is safe to
run twice or concurrently (fan-out is idempotent, attempts are claimed), which
`task_acks_late` relies on. `dispatch` is what services call after a commit (registered in
`webhooks.apps`), so services never import this module."""

import logging

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError

from core.db import LIVE, using_alias
from webhooks import delivery

logger = logging.getLogger("ledgerline.webhooks")


def dispatch(event_ids: list[int], db_alias: str) -> None:
    """Queues the fan-out of `event_ids` (may be empty) and a delivery run on `db_alias`.
    retry=False: with the broker down, fail at once rather than hold the request in kombu's
    publish retries; the caller logs it and the sweep is the retry."""
    dispatch_events.apply_async(args=(event_ids,), kwargs={"db_alias": db_alias}, retry=False)


def _queue_runs(count: int, db_alias: str) -> int:
    queued = 0
    for _ in range(count):
        try:
            deliver_due.apply_async(kwargs={"db_alias": db_alias}, retry=False)
        except Exception:
            logger.warning("could not queue a webhook delivery run; the sweep will", exc_info=True)
            break
        queued += 1
    return queued


def _run(task, db_alias: str) -> None:
    summary = delivery.deliveries_run()
    if summary.more and not task.request.is_eager:
        # Stopped by its time limit with work left: hand over to the next run rather than
        # wait up to a sweep interval.
        _queue_runs(1, db_alias)


@shared_task(bind=True, ignore_result=True)
def dispatch_events(self, event_ids: list[int], db_alias: str = LIVE) -> None:
    """Queued after a commit: fan out these events, then deliver whatever is due."""
    with using_alias(db_alias):
        if event_ids:
            # All of them at once (one statement on PostgreSQL), however large the batch.
            _, made = delivery.events_fan_out_counted(
                event_ids=event_ids, limit=max(delivery.BATCH, len(event_ids))
            )
            helpers = delivery.helper_runs(made)
            if helpers and not self.request.is_eager:
                # A bulk change: let other workers claim beside this one.
                _queue_runs(helpers, db_alias)
        _run(self, db_alias)


@shared_task(bind=True, ignore_result=True)
def deliver_due(self, db_alias: str = LIVE) -> None:
    """A delivery run: claims, sends and records due deliveries until none is due."""
    with using_alias(db_alias):
        _run(self, db_alias)


@shared_task(bind=True, ignore_result=True)
def attempt_delivery(self, delivery_id: int, db_alias: str = LIVE) -> None:
    """The per-delivery task of earlier versions, kept so messages queued before an upgrade
    still do their work: a run picks the delivery up with everything else due."""
    with using_alias(db_alias):
        _run(self, db_alias)


@shared_task(ignore_result=True)
def sweep_due_deliveries(db_alias: str | None = None) -> dict[str, dict[str, int]]:
    """Celery beat, every 5 s: on each database (live and sandbox unless one is named), fan
    out events whose task never ran, mark due deliveries no run was queued for lately, and
    queue a few runs for them. One database failing does not stop the other."""
    results: dict[str, dict[str, int]] = {}
    for alias in [db_alias] if db_alias else list(settings.DATABASES):
        try:
            with using_alias(alias):
                swept = delivery.deliveries_sweep()
                queued = _queue_runs(swept.runs, alias)
        except DatabaseError:
            logger.exception("webhook sweep failed on database %s", alias)
            continue
        results[alias] = {"fanned_out": swept.fanned_out, "due": swept.due, "queued": queued}
    return results
