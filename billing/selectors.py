"""Reads shared by the API, the admin and the PDF: querysets joined so that a page of results
costs the same few queries whatever its size."""

from datetime import date

from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from billing.models import (
    CreditNote,
    CreditNoteItem,
    Invoice,
    InvoiceItem,
    InvoiceStatus,
    Payment,
    Quote,
    QuoteItem,
    RecurringInvoice,
    RecurringInvoiceItem,
)
from core.money import ZERO, to_cents

BASE_SUM = DecimalField(max_digits=28, decimal_places=8)


# A document's lines, prefetched as a plain list under this name: Django's default prefetch
# gives each document its own filtered queryset to hold them (a queryset clone and a filter per
# row, a third of an invoice page's ORM time); a list costs nothing. The API's line serializer
# reads it (billing.serializers.LinesListSerializer) and falls back to `.items.all()`.
PREFETCHED_LINES = "prefetched_lines"


def _lines(item_model) -> Prefetch:
    return Prefetch(
        "items", queryset=item_model.objects.order_by("position", "id"), to_attr=PREFETCHED_LINES
    )


def invoice_list() -> QuerySet[Invoice]:
    # No join on customer: the API shows `customer_id` only, and the join cost every page.
    return Invoice.objects.prefetch_related(_lines(InvoiceItem))


def recurring_invoice_list() -> QuerySet[RecurringInvoice]:
    return RecurringInvoice.objects.prefetch_related(_lines(RecurringInvoiceItem))


def credit_note_list() -> QuerySet[CreditNote]:
    return CreditNote.objects.prefetch_related(_lines(CreditNoteItem))


def credit_note_for_document(*, credit_note_id: int) -> CreditNote:
    """Everything the credit note's PDF prints, in two queries."""
    return (
        CreditNote.objects.select_related("invoice", "customer")
        .prefetch_related(
            Prefetch("items", queryset=CreditNoteItem.objects.order_by("position", "id"))
        )
        .get(pk=credit_note_id)
    )


def invoice_payments(*, invoice: Invoice) -> QuerySet[Payment]:
    return invoice.payments.select_related("invoice").order_by("date", "id")


def quote_list() -> QuerySet[Quote]:
    return Quote.objects.prefetch_related(_lines(QuoteItem))


def invoice_for_document(*, invoice_id: int) -> Invoice:
    """Everything the PDF prints, in three queries."""
    return (
        Invoice.objects.select_related("customer")
        .prefetch_related(
            Prefetch("items", queryset=InvoiceItem.objects.order_by("position", "id")),
            Prefetch("payments", queryset=Payment.objects.active().order_by("date", "id")),
        )
        .get(pk=invoice_id)
    )


def customer_billing_summary(*, customer, today: date) -> dict:
    """What the customer owes, the overdue part of it, and their invoice count (one query).
    Drafts and cancelled invoices owe nothing, as in the reports; like them, in the base
    currency (each invoice at its own rate, rounded once)."""
    owed = Q(balance_due__gt=0) & ~Q(status__in=(InvoiceStatus.DRAFT, InvoiceStatus.CANCELLED))
    overdue = owed & Q(
        status__in=(InvoiceStatus.UNPAID, InvoiceStatus.PARTIALLY_PAID), due_date__lt=today
    )
    in_base = ExpressionWrapper(F("balance_due") * F("exchange_rate"), output_field=BASE_SUM)
    zero = Value(ZERO, output_field=BASE_SUM)
    totals = Invoice.objects.filter(customer=customer).aggregate(
        owed=Coalesce(Sum(in_base, filter=owed), zero, output_field=BASE_SUM),
        late=Coalesce(Sum(in_base, filter=overdue), zero, output_field=BASE_SUM),
        invoice_count=Count("id"),
    )
    return {
        "balance_due": to_cents(totals["owed"]),
        "overdue": to_cents(totals["late"]),
        "invoice_count": totals["invoice_count"],
    }
