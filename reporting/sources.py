"""The source rows the reports read: ledger transactions and billing invoices/payments.
Reporting sits above both rooms and imports them plainly; they never import reporting
(they announce changes through `core.hooks.money_moved`)."""

from datetime import date

from django.db.models import DecimalField, ExpressionWrapper, F, Q, QuerySet

from billing.models import (
    OPEN_INVOICE_STATUSES,
    CreditNoteItem,
    Invoice,
    InvoiceItem,
    InvoiceStatus,
)
from ledger.models import Transaction, TransactionType

# Every amount reported is converted to the base currency at its row's own rate, unrounded
# (2 + 6 decimals): sums are rounded once, at the end (contract section 13).
BASE_SUM_FIELD = DecimalField(max_digits=28, decimal_places=8)


def in_base(amount, rate: str = "exchange_rate") -> ExpressionWrapper:
    """`amount` (a field name or expression) times the row's rate, as an exact decimal."""
    amount = F(amount) if isinstance(amount, str) else amount
    return ExpressionWrapper(amount * F(rate), output_field=BASE_SUM_FIELD)


BASE_AMOUNT = in_base("amount")
BASE_BALANCE_DUE = in_base("balance_due")

# Invoices that are not (yet, or any more) owed: excluded from outstanding and aging.
NOT_OWED_STATUSES = (InvoiceStatus.DRAFT, InvoiceStatus.CANCELLED)
REPORTED_TYPES = (TransactionType.INCOME, TransactionType.EXPENSE)


def reported_transactions(start: date | None = None, end: date | None = None) -> QuerySet:
    """Non-voided Income/Expense transactions dated in [start, end): transfers move money
    between the business's own accounts and are neither income nor expense."""
    query = Transaction.objects.active().filter(type__in=REPORTED_TYPES)
    return query.filter(_date_range(start, end))


def owed_invoices(start: date | None = None, end: date | None = None) -> QuerySet:
    """Invoices dated in [start, end) that count as owed."""
    return Invoice.objects.exclude(status__in=NOT_OWED_STATUSES).filter(_date_range(start, end))


def _date_range(start: date | None, end: date | None) -> Q:
    q = Q()
    if start is not None:
        q &= Q(date__gte=start)
    if end is not None:
        q &= Q(date__lt=end)
    return q


def taxed_invoice_lines(start: date | None, end: date | None) -> QuerySet:
    """Lines of issued, non-cancelled invoices dated in [start, end]: what tax was charged on."""
    query = InvoiceItem.objects.filter(invoice__status__in=OPEN_INVOICE_STATUSES)
    if start is not None:
        query = query.filter(invoice__date__gte=start)
    if end is not None:
        query = query.filter(invoice__date__lte=end)
    return query


def taxed_credit_note_lines(start: date | None, end: date | None) -> QuerySet:
    """Lines of credit notes dated in [start, end]: tax given back in the period."""
    query = CreditNoteItem.objects.all()
    if start is not None:
        query = query.filter(credit_note__date__gte=start)
    if end is not None:
        query = query.filter(credit_note__date__lte=end)
    return query
