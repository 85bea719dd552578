"""Closed periods (contract section 9): any room can refuse a money write dated in closed
books without importing the room that keeps the setting.

The audit app owns the setting (`audit.books`) and registers its reader here when it loads
(`audit.apps.AuditConfig.ready`), the way reporting registers for `core.hooks.money_moved`.
Without a reader (the audit app not installed) the books are open.
"""

from collections.abc import Callable
from datetime import date, datetime

from django.utils import timezone

from core.errors import ConflictError

ClosedThroughReader = Callable[[], date | None]
_reader: ClosedThroughReader | None = None


def register_closed_through_reader(reader: ClosedThroughReader) -> None:
    global _reader
    _reader = reader


def books_closed_through() -> date | None:
    """The last closed day of the current database (live or sandbox), or None."""
    return _reader() if _reader is not None else None


def closed_message(closed_through: date) -> str:
    return f"The books are closed through {closed_through.isoformat()}."


def _day(value: date | datetime) -> date:
    if isinstance(value, datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return value


def books_assert_open(*dates: date | datetime | None) -> None:
    """Raises ConflictError (409) when any of `dates` falls on or before the closed-through
    date. Call it inside the write's transaction with every date the write touches: the old
    date and the new one of a change, the date of what is deleted. None dates are ignored,
    and nothing is read when no date is given."""
    days = [_day(d) for d in dates if d is not None]
    if not days:
        return
    closed_through = books_closed_through()
    if closed_through is not None and min(days) <= closed_through:
        raise ConflictError(closed_message(closed_through))
