"""How other apps tell reporting that money moved. Owned by the reporting app: callers only
announce changes through `core.hooks.money_moved`; `ReportingConfig.ready` connects this."""

import logging
from collections.abc import Iterable
from datetime import date

from kombu.exceptions import OperationalError

from core.db import current_alias, on_commit

logger = logging.getLogger("ledgerline.reporting")


def rollups_refresh_on_commit(
    *, dates: Iterable[date], transaction_ids: Iterable[int] = ()
) -> None:
    """Queue a refresh of the monthly roll-ups covering `dates` once the current transaction
    commits (right away outside one). `transaction_ids` are payment transactions: the task
    also refreshes the months of their invoices, whose outstanding balance they changed.

    A rolled-back transaction queues nothing. If the broker is down the change is still
    committed; the nightly `rebuild_rollups` (and `manage.py aggregate_reports`) repair it."""
    months = sorted({d.replace(day=1).isoformat() for d in dates if d is not None})
    ids = sorted(set(transaction_ids))
    if not months and not ids:
        return
    alias = current_alias()
    on_commit(lambda: _queue_refresh(months, ids, alias))


def _queue_refresh(months: list[str], transaction_ids: list[int], alias: str) -> None:
    from reporting.tasks import refresh_rollups

    try:
        refresh_rollups.delay(months=months, transaction_ids=transaction_ids, db_alias=alias)
    except OperationalError:
        # The write has committed; failing the request now would only hide that. The
        # scheduled rebuild recomputes everything from source.
        logger.exception("could not queue a roll-up refresh for %s", months)
