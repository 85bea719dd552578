"""The reports. `financial_report` and `category_report` read the monthly roll-ups (a few
rows whatever the size of the ledger); `financial_report_live` is the same figure straight
from source, used to verify the roll-ups and by the benchmark. Aging is "as of today" by
nature, so it reads open invoices directly (one grouped query)."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

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
    owed_invoices,
    reported_transactions,
    taxed_credit_note_lines,
    taxed_invoice_lines,
)
from support.models import Ticket, TicketPriority, TicketStatus

SUM_FIELD = DecimalField(max_digits=20, decimal_places=2)
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
    income, expenses = to_cents(income), to_cents(expenses)
    return {
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
    """Income, expenses, profit and outstanding invoices for the period, from the roll-ups:
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
            income=Sum("amount", filter=Q(type=TransactionType.INCOME)),
            expenses=Sum("amount", filter=Q(type=TransactionType.EXPENSE)),
        )
    )
    invoices = owed_invoices(period.start, period.end)
    outstanding = ZERO
    if invoices is not None:
        outstanding = invoices.order_by().aggregate(total=Sum("balance_due"))["total"] or ZERO
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
    for row in rows:
        key = "income" if row["type"] == TransactionType.INCOME else "expenses"
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
    report["income_total"] = _sum(line["total"] for line in report["income"])
    report["expenses_total"] = _sum(line["total"] for line in report["expenses"])
    return report


def _sum(values) -> Decimal:
    return sum(values, ZERO)


def aging_report(*, today: date | None = None) -> dict:
    """Receivables aging as of today: each owed invoice's balance due, in the bucket of its
    days past due (0 or not yet due: current; 1–30; 31–60; 61–90; over 90), totalled and per
    customer. Paid invoices have nothing due and do not appear."""
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
                Case(When(condition, then=F("balance_due")), default=Value(ZERO)),
                output_field=SUM_FIELD,
            ),
            Value(ZERO),
            output_field=SUM_FIELD,
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
            total=Coalesce(Sum("balance_due"), Value(ZERO), output_field=SUM_FIELD),
        )
        .order_by("-total", "customer__account", "customer_id")
    )
    customers = [
        {
            "customer_id": row["customer_id"],
            "account": row["customer__account"],
            **{name: to_cents(row[name]) for name in (*AGING_BUCKETS, "total")},
        }
        for row in rows
    ]
    totals = {
        name: _sum(customer[name] for customer in customers) for name in (*AGING_BUCKETS, "total")
    }
    return {"as_of": today, "totals": totals, "customers": customers}


def _days(count: int) -> timedelta:
    return timedelta(days=count)


def _taxed_by_rate(lines) -> dict[Decimal, tuple[Decimal, Decimal]]:
    rows = (
        lines.order_by()
        .values("tax_rate")
        .annotate(
            taxable=Sum(F("line_subtotal") - F("line_discount"), output_field=SUM_FIELD),
            tax=Sum("line_tax"),
        )
    )
    return {row["tax_rate"]: (row["taxable"] or ZERO, row["tax"] or ZERO) for row in rows}


def tax_report(*, date_from: date | None = None, date_to: date | None = None) -> dict:
    """Tax per rate over issued, non-cancelled invoices dated in [date_from, date_to], minus
    the credit notes dated in it, from the stored line figures (taxable = line subtotal −
    its discount share; tax = the line's stored tax), so the report equals what the documents
    say to the cent. Two grouped queries. Amounts are in the documents' own currency, which is
    the base currency until documents in other currencies exist (contract section 13)."""
    charged = _taxed_by_rate(taxed_invoice_lines(date_from, date_to))
    credited = _taxed_by_rate(taxed_credit_note_lines(date_from, date_to))
    rates = []
    for rate in sorted(set(charged) | set(credited)):
        taxable, tax = charged.get(rate, (ZERO, ZERO))
        back_taxable, back_tax = credited.get(rate, (ZERO, ZERO))
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
        "total_taxable": _sum(line["taxable"] for line in rates),
        "total_tax": _sum(line["tax"] for line in rates),
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
    """What customers owe: the balance of every owed invoice, and the part of it past its
    due date, with the counts (one query)."""
    today = today or timezone.localdate()
    overdue = Q(status__in=OPEN_INVOICE_STATUSES, due_date__lt=today, balance_due__gt=0)
    totals = (
        owed_invoices()
        .filter(balance_due__gt=0)
        .order_by()
        .aggregate(
            outstanding=Coalesce(Sum("balance_due"), Value(ZERO), output_field=SUM_FIELD),
            outstanding_count=Count("id"),
            overdue=Coalesce(
                Sum("balance_due", filter=overdue), Value(ZERO), output_field=SUM_FIELD
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
    """The oldest overdue invoices first, with their days overdue (one query)."""
    today = today or timezone.localdate()
    invoices = (
        Invoice.objects.filter(
            status__in=OPEN_INVOICE_STATUSES, due_date__lt=today, balance_due__gt=0
        )
        .select_related("customer")
        .only("invoice_number", "due_date", "balance_due", "customer__account")
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
