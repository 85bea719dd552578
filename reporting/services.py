"""Maintaining the monthly roll-ups. Every function recomputes from source, so running
one twice, late, or concurrently with another always converges on the live aggregate.

Only months that hold data have a roll-up row: a refresh that finds a month empty deletes its
row, and the rebuild asks the database which months have data (grouped by month in SQL), so
neither walks the calendar between two far-apart dates. Any date the database can store works,
even one outside the business date window that reached it around the services."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from billing.models import Payment
from core.db import atomic
from core.money import ZERO
from ledger.models import TransactionType
from reporting.models import RollupCategoryLine, RollupMonth
from reporting.sources import BASE_AMOUNT, BASE_BALANCE_DUE, owed_invoices, reported_transactions

LAST_MONTH = date(9999, 12, 1)


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date | None:
    """The first day of the following month; None after December 9999 (no such date)."""
    if month >= LAST_MONTH:
        return None
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def months_with_data() -> set[date]:
    """First days of the months that have a reported transaction or an owed invoice: two
    grouped queries, however far apart the dates are."""
    months: set[date] = set()
    for source in (reported_transactions(), owed_invoices()):
        grouped = source.order_by().annotate(month=TruncMonth("date")).values_list("month")
        months.update(month_start(row[0]) for row in grouped.distinct())
    return months


def rollup_month_refresh(*, month: date) -> RollupMonth | None:
    """Recomputes one month's roll-up (totals, category lines, outstanding) from source in one
    transaction, or deletes its row when the month has no data (None). The month's row is
    locked first, so concurrent refreshes of a month run one after the other and the last one
    to commit has read every committed change."""
    month = month_start(month)
    end = next_month(month)
    with atomic():
        period, _ = RollupMonth.objects.get_or_create(month=month)
        period = RollupMonth.objects.select_for_update().get(pk=period.pk)
        grouped = (
            reported_transactions(month, end)
            .order_by()
            .values("type", "category_id")
            .annotate(total=Sum(BASE_AMOUNT), count=Count("id"))
        )
        lines = [
            RollupCategoryLine(
                period=period,
                type=row["type"],
                category_id=row["category_id"],
                total=row["total"],
                count=row["count"],
            )
            for row in grouped
        ]
        owed = (
            owed_invoices(month, end)
            .order_by()
            .aggregate(total=Sum(BASE_BALANCE_DUE), count=Count("id"))
        )
        if not lines and not owed["count"]:
            period.delete()  # its lines go with it
            return None
        period.lines.all().delete()
        RollupCategoryLine.objects.bulk_create(lines)
        period.income = _sum(line.total for line in lines if line.type == TransactionType.INCOME)
        period.expenses = _sum(line.total for line in lines if line.type == TransactionType.EXPENSE)
        period.transaction_count = sum(line.count for line in lines)
        period.outstanding, period.invoice_count = owed["total"] or ZERO, owed["count"]
        period.refreshed_at = timezone.now()
        period.save()
    return period


def _sum(values: Iterable[Decimal]) -> Decimal:
    return sum(values, ZERO)


@dataclass(frozen=True)
class RebuildSummary:
    months: int
    transactions: int
    income: Decimal
    expenses: Decimal
    outstanding: Decimal


def rollups_rebuild(*, progress: Callable[[date, int, int], None] | None = None) -> RebuildSummary:
    """Recomputes every month that has data, and prunes the roll-up rows of months that no
    longer have any (data deleted since, or an empty row left by an older version). Safe to
    run at any time, and again: each month is refreshed under its own lock."""
    with_data = months_with_data()
    stale = set(RollupMonth.objects.values_list("month", flat=True)) - with_data
    for month in sorted(stale):
        # Refreshing an empty month deletes its row, under the same lock as any refresh, so
        # data committed meanwhile is rolled up rather than lost.
        rollup_month_refresh(month=month)
    months = sorted(with_data)
    for index, month in enumerate(months, start=1):
        rollup_month_refresh(month=month)
        if progress is not None:
            progress(month, index, len(months))
    totals = RollupMonth.objects.aggregate(
        transactions=Sum("transaction_count"),
        income=Sum("income"),
        expenses=Sum("expenses"),
        outstanding=Sum("outstanding"),
    )
    return RebuildSummary(
        months=len(months),
        transactions=totals["transactions"] or 0,
        income=totals["income"] or ZERO,
        expenses=totals["expenses"] or ZERO,
        outstanding=totals["outstanding"] or ZERO,
    )


def invoice_months_of_payment_transactions(*, transaction_ids: list[int]) -> set[date]:
    """Months of the invoices paid by these transactions: a payment (or its void) changes the
    outstanding balance of its invoice's month, whatever the payment's own date."""
    if not transaction_ids:
        return set()
    dates = Payment.objects.filter(transaction_id__in=transaction_ids).values_list(
        "invoice__date", flat=True
    )
    return {month_start(d) for d in dates if d is not None}
