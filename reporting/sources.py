"""The source rows the reports read: ledger transactions and billing invoices/payments.

Billing is a sibling app; reporting reads its tables through `apps.get_model` so that the
ledger reports keep working (with no outstanding invoices) on an install without billing."""

from datetime import date

from django.apps import apps
from django.db.models import Model, Q, QuerySet

from ledger.models import Transaction, TransactionType

# Invoices that are not (yet, or any more) owed: excluded from outstanding and aging.
NOT_OWED_STATUSES = ("Draft", "Cancelled")
REPORTED_TYPES = (TransactionType.INCOME, TransactionType.EXPENSE)


def _billing_model(name: str) -> type[Model] | None:
    try:
        return apps.get_model("billing", name)
    except LookupError:
        return None


def invoice_model() -> type[Model] | None:
    return _billing_model("Invoice")


def payment_model() -> type[Model] | None:
    return _billing_model("Payment")


def reported_transactions(start: date | None = None, end: date | None = None) -> QuerySet:
    """Non-voided Income/Expense transactions dated in [start, end): transfers move money
    between the business's own accounts and are neither income nor expense."""
    query = Transaction.objects.active().filter(type__in=REPORTED_TYPES)
    return query.filter(_date_range(start, end))


def owed_invoices(start: date | None = None, end: date | None = None) -> QuerySet | None:
    """Invoices dated in [start, end) that count as owed (None without billing)."""
    invoice = invoice_model()
    if invoice is None:
        return None
    return invoice.objects.exclude(status__in=NOT_OWED_STATUSES).filter(_date_range(start, end))


def _date_range(start: date | None, end: date | None) -> Q:
    q = Q()
    if start is not None:
        q &= Q(date__gte=start)
    if end is not None:
        q &= Q(date__lt=end)
    return q
