"""How a room tells rooms above it that something changed, without importing them.

Billing and the ledger move money; reporting keeps roll-ups of it. Reporting imports both, so
they cannot import reporting back: they call `money_moved` inside their transaction with the
dates they touched, and reporting registers its listener when the app loads
(`reporting.apps.ReportingConfig.ready`)."""

from collections.abc import Callable, Iterable
from datetime import date

MoneyMovedListener = Callable[..., None]
_money_moved_listeners: list[MoneyMovedListener] = []


def on_money_moved(listener: MoneyMovedListener) -> None:
    """Registers `listener(dates=..., transaction_ids=...)`; registering twice is a no-op."""
    if listener not in _money_moved_listeners:
        _money_moved_listeners.append(listener)


def money_moved(*, dates: Iterable[date], transaction_ids: Iterable[int] = ()) -> None:
    """Announces that money dated on `dates` changed (inside the writer's transaction);
    `transaction_ids` are payment transactions whose invoices' balances changed too."""
    dates = list(dates)
    transaction_ids = list(transaction_ids)
    for listener in _money_moved_listeners:
        listener(dates=dates, transaction_ids=transaction_ids)
