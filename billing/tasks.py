"""Thin Celery tasks of the billing room."""

import logging

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
def generate_recurring_invoices(db_alias: str | None = None) -> dict[str, int]:
    """Celery beat, daily: issues every recurring invoice due by today on each database (live
    and sandbox unless one is named). Safe to re-run and to overlap another run: each
    (schedule, period) is issued once (billing.recurring)."""
    issued: dict[str, int] = {}
    for alias in [db_alias] if db_alias else list(settings.DATABASES):
        try:
            with using_alias(alias):
                run = recurring_invoices_generate(on_date=timezone.localdate())
        except DatabaseError:
            logger.exception("recurring invoices failed on database %s", alias)
            continue
        issued[alias] = len(run.issued)
        logger.info(
            "recurring invoices on %s: %d issued, %d failed",
            alias,
            len(run.issued),
            len(run.failed),
        )
    return issued
