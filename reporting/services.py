"""Maintaining the monthly roll-ups. Every function recomputes from source rows, so running
one twice, late, or concurrently with another always converges on the live aggregate."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, Max, Min, Sum
from django.utils import timezone

from billing.models import Payment
from core.db import atomic
from core.money import ZERO
from ledger.models import TransactionType
from reporting.models import RollupCategoryLine, RollupMonth
from reporting.sources import owed_invoices, reported_transactions


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def months_between(first: date, last: date) -> list[date]:
    """Every first-of-month from `first`'s month to `last`'s month, inclusive."""
    months, current = [], month_start(first)
    while current <= last:
        months.append(current)
        current = next_month(current)
    return months


def rollup_month_refresh(*, month: date) -> RollupMonth:
    """Recomputes one month's roll-up (totals, category lines, outstanding) from source in one
    transaction. The month's row is locked first, so concurrent refreshes of a month run one
    after the other and the last one to commit has read every committed change."""
    month = month_start(month)
    end = next_month(month)
    with atomic():
        period, _ = RollupMonth.objects.get_or_create(month=month)
        period = RollupMonth.objects.select_for_update().get(pk=period.pk)
        grouped = (
            reported_transactions(month, end)
            .order_by()
            .values("type", "category_id")
            .annotate(total=Sum("amount"), count=Count("id"))
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
        period.lines.all().delete()
        RollupCategoryLine.objects.bulk_create(lines)
        period.income = _sum(line.total for line in lines if line.type == TransactionType.INCOME)
        period.expenses = _sum(line.total for line in lines if line.type == TransactionType.EXPENSE)
        period.transaction_count = sum(line.count for line in lines)
        owed = (
            owed_invoices(month, end)
            .order_by()
            .aggregate(total=Sum("balance_due"), count=Count("id"))
        )
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
    """Recomputes every month from the earliest to the latest dated transaction or invoice,
    plus any month that still has a roll-up row (so data deleted since is zeroed). Safe to
    run at any time, and again: each month is refreshed under its own lock."""
    spans = [
        reported_transactions().aggregate(first=Min("date"), last=Max("date")),
        owed_invoices().aggregate(first=Min("date"), last=Max("date")),
    ]
    wanted: set[date] = set(RollupMonth.objects.values_list("month", flat=True))
    for span in spans:
        if span["first"] is not None:
            wanted.update(months_between(span["first"], span["last"]))
    months = sorted(wanted)
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
