"""Thin Celery tasks: ids in, `mail.sending` does the work. Safe to run twice (a send is
claimed first), which `task_acks_late` relies on."""

import logging

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError

from core.db import LIVE, using_alias
from mail import sending

logger = logging.getLogger("ledgerline.mail")


@shared_task(ignore_result=True)
def send_email(message_id: int, db_alias: str = LIVE) -> None:
    with using_alias(db_alias):
        sending.email_send(message_id=message_id)


@shared_task(ignore_result=True)
def sweep_due_emails(db_alias: str | None = None) -> dict[str, dict[str, int]]:
    """Celery beat, every EMAIL_SWEEP_SECONDS (60): on each database (live and sandbox unless
    one is named), queue the messages that are due. One database failing does not stop the
    other."""
    results: dict[str, dict[str, int]] = {}
    for alias in [db_alias] if db_alias else list(settings.DATABASES):
        try:
            with using_alias(alias):
                results[alias] = sending.emails_sweep(db_alias=alias)
        except DatabaseError:
            logger.exception("email sweep failed on database %s", alias)
    return results
