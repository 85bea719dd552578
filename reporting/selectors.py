"""The reports. `financial_report` and `category_report` read the monthly roll-ups (a few
rows whatever the size of the ledger); `financial_report_live` is the same figure straight
from source, used to verify the roll-ups and by the benchmark. Aging is "as of today" by
nature, so it reads open invoices directly (one grouped query)."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Case, Count, DecimalField, F, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from billing.models import Invoice, InvoiceStatus, Payment
from core.money import ZERO, to_cents
from ledger.models import Category, TransactionType
from ledger.selectors import account_list
from reporting.models import RollupCategoryLine, RollupMonth
from reporting.services import next_month
from reporting.sources import (
    BASE_AMOUNT,
    BASE_BALANCE_DUE,
    BASE_SUM_FIELD,
    in_base,
    owed_invoices,
    reported_transactions,
    taxed_credit_note_lines,
    taxed_invoice_lines,
)
from support.models import Ticket, TicketPriority, TicketStatus

SUM_FIELD = DecimalField(max_digits=20, decimal_places=2)
BASE_ZERO = Value(ZERO, output_field=BASE_SUM_FIELD)
AGING_BUCKETS = ("current", "days_1_30", "days_31_60", "days_61_90", "days_90_plus")


@dataclass(frozen=True)
class Period:
    """A calendar year, one month of it, or everything (both None)."""

    year: int | None = None
    month: int | None = None

    @property
    def start(self) -> date | None:
        if self.year is None:
            return None
        return date(self.year, self.month or 1, 1)

    @property
    def end(self) -> date | None:
        """Exclusive end."""
        if self.year is None:
            return None
        if self.month is None:
            return date(self.year + 1, 1, 1) if self.year < 9999 else date.max
        return next_month(self.start) or date.max

    def as_dict(self) -> dict:
        return {"year": self.year, "month": self.month}


def _report(income: Decimal, expenses: Decimal, outstanding: Decimal) -> dict:
    """Rounds the unrounded base-currency sums, once."""
    income, expenses = to_cents(income), to_cents(expenses)
    return {
        "currency": settings.BASE_CURRENCY,
        "income": income,
        "expenses": expenses,
        "profit": income - expenses,
        "outstanding_invoices": to_cents(outstanding),
    }


def _rollup_months(period: Period):
    query = RollupMonth.objects.all()
    if period.start is not None:
        query = query.filter(month__gte=period.start, month__lt=period.end)
    return query


def financial_report(*, period: Period) -> dict:
    """Income, expenses, profit and outstanding invoices for the period in the base currency,
    from the roll-ups (unrounded base sums, rounded here once):
    one query over at most twelve rows a year. The few rows are summed here rather than with
    `aggregate()`, whose query compilation costs more than the query itself on this path."""
    rows = _rollup_months(period).order_by().values_list("income", "expenses", "outstanding")
    income = expenses = outstanding = ZERO
    for row_income, row_expenses, row_outstanding in rows:
        income += row_income
        expenses += row_expenses
        outstanding += row_outstanding
    return _report(income, expenses, outstanding)


def financial_report_live(*, period: Period) -> dict:
    """The same figures aggregated from the transaction and invoice tables."""
    totals = (
        reported_transactions(period.start, period.end)
        .order_by()
        .aggregate(
            income=Sum(BASE_AMOUNT, filter=Q(type=TransactionType.INCOME)),
            expenses=Sum(BASE_AMOUNT, filter=Q(type=TransactionType.EXPENSE)),
        )
    )
    invoices = owed_invoices(period.start, period.end)
    outstanding = ZERO
    if invoices is not None:
        outstanding = invoices.order_by().aggregate(total=Sum(BASE_BALANCE_DUE))["total"] or ZERO
    return _report(totals["income"] or ZERO, totals["expenses"] or ZERO, outstanding)


def monthly_income_expenses(*, year: int) -> list[dict]:
    """Twelve rows {month, income, expenses, profit} for the year's chart (one query)."""
    rows = {
        row.month.month: row
        for row in _rollup_months(Period(year=year)).only("month", "income", "expenses")
    }
    series = []
    for number in range(1, 13):
        row = rows.get(number)
        income = to_cents(row.income) if row else ZERO
        expenses = to_cents(row.expenses) if row else ZERO
        series.append(
            {
                "month": number,
                "label": date(year, number, 1).strftime("%b"),
                "income": income,
                "expenses": expenses,
                "profit": income - expenses,
            }
        )
    return series


def category_report(*, period: Period) -> dict:
    """Income and expenses per category for the period, from the roll-up lines. Uncategorised
    transactions are one line with `category_id` null."""
    query = RollupCategoryLine.objects.all()
    if period.start is not None:
        query = query.filter(period__month__gte=period.start, period__month__lt=period.end)
    rows = (
        query.order_by()
        .values("type", "category_id")
        .annotate(total=Sum("total"), count=Sum("count"))
    )
    names = dict(Category.objects.values_list("id", "name"))
    report: dict = {"income": [], "expenses": []}
    unrounded = {"income": ZERO, "expenses": ZERO}
    for row in rows:
        key = "income" if row["type"] == TransactionType.INCOME else "expenses"
        unrounded[key] += row["total"]
        report[key].append(
            {
                "category_id": row["category_id"],
                "name": names.get(row["category_id"], "Uncategorized"),
                "total": to_cents(row["total"]),
                "count": row["count"],
            }
        )
    for key in ("income", "expenses"):
        report[key].sort(key=lambda line: (-line["total"], line["name"]))
    report["income_total"] = to_cents(unrounded["income"])
    report["expenses_total"] = to_cents(unrounded["expenses"])
    return report


def _sum(values) -> Decimal:
    return sum(values, ZERO)


def aging_report(*, today: date | None = None) -> dict:
    """Receivables aging as of today in the base currency: each owed invoice's balance due at
    its own rate, in the bucket of its days past due (0 or not yet due: current; 1–30; 31–60;
    61–90; over 90), totalled and per customer, each figure rounded once. Paid invoices have
    nothing due and do not appear."""
    today = today or timezone.localdate()
    invoices = owed_invoices()

    def bucket(lower: int | None, upper: int | None) -> Sum:
        # days overdue = today − due_date, so "d days overdue" ⇔ due_date = today − d.
        condition = Q()
        if lower is not None:
            condition &= Q(due_date__lte=today - _days(lower))
        if upper is not None:
            condition &= Q(due_date__gte=today - _days(upper))
        return Coalesce(
            Sum(
                Case(When(condition, then=BASE_BALANCE_DUE), default=BASE_ZERO),
                output_field=BASE_SUM_FIELD,
            ),
            BASE_ZERO,
            output_field=BASE_SUM_FIELD,
        )

    rows = (
        invoices.filter(balance_due__gt=0)
        .order_by()
        .values("customer_id", "customer__account")
        .annotate(
            current=bucket(None, 0),
            days_1_30=bucket(1, 30),
            days_31_60=bucket(31, 60),
            days_61_90=bucket(61, 90),
            days_90_plus=bucket(91, None),
            total=Coalesce(Sum(BASE_BALANCE_DUE), BASE_ZERO, output_field=BASE_SUM_FIELD),
        )
        .order_by("-total", "customer__account", "customer_id")
    )
    names = (*AGING_BUCKETS, "total")
    rows = list(rows)
    customers = [
        {
            "customer_id": row["customer_id"],
            "account": row["customer__account"],
            **{name: to_cents(row[name]) for name in names},
        }
        for row in rows
    ]
    totals = {name: to_cents(_sum(row[name] for row in rows)) for name in names}
    return {"as_of": today, "totals": totals, "customers": customers}


def _days(count: int) -> timedelta:
    return timedelta(days=count)


def _taxed_by_rate(lines, rate: str) -> dict[Decimal, tuple[Decimal, Decimal]]:
    """Taxable amount and tax per tax rate, in the base currency at each document's `rate`."""
    rows = (
        lines.order_by()
        .values("tax_rate")
        .annotate(
            taxable=Sum(in_base(F("line_subtotal") - F("line_discount"), rate)),
            tax=Sum(in_base("line_tax", rate)),
        )
    )
    return {row["tax_rate"]: (row["taxable"] or ZERO, row["tax"] or ZERO) for row in rows}


def tax_report(*, date_from: date | None = None, date_to: date | None = None) -> dict:
    """Tax per rate over issued, non-cancelled invoices dated in [date_from, date_to], minus
    the credit notes dated in it, from the stored line figures (taxable = line subtotal −
    its discount share; tax = the line's stored tax), so the report equals what the documents
    say to the cent. Two grouped queries. In the base currency: each line at its document's
    rate, each figure rounded once (contract section 13)."""
    charged = _taxed_by_rate(taxed_invoice_lines(date_from, date_to), "invoice__exchange_rate")
    credited = _taxed_by_rate(
        taxed_credit_note_lines(date_from, date_to), "credit_note__exchange_rate"
    )
    rates = []
    total_taxable = total_tax = ZERO
    for rate in sorted(set(charged) | set(credited)):
        taxable, tax = charged.get(rate, (ZERO, ZERO))
        back_taxable, back_tax = credited.get(rate, (ZERO, ZERO))
        total_taxable += taxable - back_taxable
        total_tax += tax - back_tax
        rates.append(
            {
                "rate": rate,
                "taxable": to_cents(taxable - back_taxable),
                "tax": to_cents(tax - back_tax),
            }
        )
    return {
        "date_from": date_from,
        "date_to": date_to,
        "rates": rates,
        "total_taxable": to_cents(total_taxable),
        "total_tax": to_cents(total_tax),
    }


# --- the staff dashboard's widgets: one query each, whatever the size of the books ----------

OPEN_INVOICE_STATUSES = (InvoiceStatus.UNPAID, InvoiceStatus.PARTIALLY_PAID)
PRIORITY_ORDER = (
    TicketPriority.URGENT,
    TicketPriority.HIGH,
    TicketPriority.MEDIUM,
    TicketPriority.LOW,
)


def cash_position() -> list[dict]:
    """Each account's balance in its own currency (one query)."""
    return [
        {
            "id": account.pk,
            "name": account.name,
            "currency": account.currency,
            "balance": to_cents(account.balance),
        }
        for account in account_list().order_by("name", "id")
    ]


def receivables_summary(*, today: date | None = None) -> dict:
    """What customers owe, in the base currency: the balance of every owed invoice at its
    rate, and the part of it past its due date, with the counts (one query)."""
    today = today or timezone.localdate()
    overdue = Q(status__in=OPEN_INVOICE_STATUSES, due_date__lt=today, balance_due__gt=0)
    totals = (
        owed_invoices()
        .filter(balance_due__gt=0)
        .order_by()
        .aggregate(
            outstanding=Coalesce(Sum(BASE_BALANCE_DUE), BASE_ZERO, output_field=BASE_SUM_FIELD),
            outstanding_count=Count("id"),
            overdue=Coalesce(
                Sum(BASE_BALANCE_DUE, filter=overdue), BASE_ZERO, output_field=BASE_SUM_FIELD
            ),
            overdue_count=Count("id", filter=overdue),
        )
    )
    return {
        "outstanding": to_cents(totals["outstanding"]),
        "outstanding_count": totals["outstanding_count"],
        "overdue": to_cents(totals["overdue"]),
        "overdue_count": totals["overdue_count"],
    }


def overdue_invoices(*, today: date | None = None, limit: int = 10) -> list[dict]:
    """The oldest overdue invoices first, with their days overdue and their balance in their
    own currency (one query)."""
    today = today or timezone.localdate()
    invoices = (
        Invoice.objects.filter(
            status__in=OPEN_INVOICE_STATUSES, due_date__lt=today, balance_due__gt=0
        )
        .select_related("customer")
        .only("invoice_number", "due_date", "balance_due", "currency", "customer__account")
        .order_by("due_date", "id")[:limit]
    )
    return [
        {
            "id": invoice.pk,
            "invoice_number": invoice.invoice_number,
            "customer": invoice.customer.account,
            "customer_id": invoice.customer_id,
            "due_date": invoice.due_date,
            "days_overdue": (today - invoice.due_date).days,
            "balance_due": invoice.balance_due,
            "currency": invoice.currency,
        }
        for invoice in invoices
    ]


def recent_payments(*, limit: int = 8) -> list[Payment]:
    """The latest payments not voided, with invoice, customer and account (one query)."""
    return list(
        Payment.objects.filter(voided_at__isnull=True)
        .select_related("invoice__customer", "account")
        .order_by("-date", "-id")[:limit]
    )


def open_tickets_by_priority() -> list[dict]:
    """Tickets not closed, counted per priority, most urgent first (one query)."""
    counts = dict(
        Ticket.objects.exclude(status=TicketStatus.CLOSED)
        .order_by()
        .values_list("priority")
        .annotate(count=Count("id"))
    )
    return [{"priority": p, "count": counts.get(p, 0)} for p in PRIORITY_ORDER]
