"""Thin Celery tasks of the billing room."""

import logging
from datetime import date

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from billing.recurring import recurring_invoices_generate
from billing.sending import reminders_send
from core.db import using_alias

logger = logging.getLogger("ledgerline.billing")


@shared_task(ignore_result=True)
def send_reminders(db_alias: str | None = None) -> dict[str, int]:
    """Celery beat, daily: queues today's overdue reminders on each database (live and
    sandbox unless one is named). A re-run the same day, or a run that overlaps another,
    queues nothing twice (billing.sending.reminders_send)."""
    queued: dict[str, int] = {}
    for alias in [db_alias] if db_alias else list(settings.DATABASES):
        try:
            with using_alias(alias):
                queued[alias] = len(reminders_send(on=timezone.localdate()).queued)
        except DatabaseError:
            logger.exception("reminders failed on database %s", alias)
    return queued


@shared_task(ignore_result=True)
def generate_recurring_invoices(db_alias: str | None = None) -> None:
    """Celery beat, daily: shares today's recurring invoices out to
    `RECURRING_INVOICES_WORKERS` tasks per database (live and sandbox unless one is named),
    which worker processes run side by side: each takes the schedules no other one holds
    (billing.recurring). Without a broker they run one after the other, in-process."""
    on_date = timezone.localdate().isoformat()
    for alias in [db_alias] if db_alias else list(settings.DATABASES):
        for _ in range(max(settings.RECURRING_INVOICES_WORKERS, 1)):
            generate_recurring_invoices_share.delay(alias, on_date)


@shared_task(ignore_result=True)
def generate_recurring_invoices_share(db_alias: str, on_date: str) -> int:
    """One worker's share of a day's recurring invoices: issues due schedules until none is
    left unlocked. Safe to run twice, or beside any other run: each (schedule, period) is
    issued once."""
    try:
        with using_alias(db_alias):
            run = recurring_invoices_generate(on_date=date.fromisoformat(on_date))
    except DatabaseError:
        logger.exception("recurring invoices failed on database %s", db_alias)
        return 0
    logger.info(
        "recurring invoices on %s for %s: %d issued, %d failed",
        db_alias,
        on_date,
        len(run.issued),
        len(run.failed),
    )
    return len(run.issued)
