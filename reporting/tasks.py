"""Thin Celery tasks over reporting.services. Both are idempotent: they recompute from source."""

from datetime import date

from celery import shared_task

from core.db import using_alias
from reporting import services


@shared_task
def refresh_rollups(
    months: list[str], transaction_ids: list[int] | None = None, db_alias: str = "default"
) -> int:
    """Recompute the given months (ISO first days) plus the invoice months of the given
    payment transactions. Returns how many months were refreshed."""
    with using_alias(db_alias):
        wanted = {date.fromisoformat(m) for m in months}
        wanted |= services.invoice_months_of_payment_transactions(
            transaction_ids=transaction_ids or []
        )
        for month in sorted(wanted):
            services.rollup_month_refresh(month=month)
    return len(wanted)


@shared_task
def rebuild_rollups(db_alias: str = "default") -> int:
    """The scheduled full rebuild (Celery beat): every month with data, from source."""
    with using_alias(db_alias):
        return services.rollups_rebuild().months
