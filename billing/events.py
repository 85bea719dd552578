"""Billing's event payloads: each resource as the API shows it, built in one place."""

from billing.models import CreditNote, Invoice, Payment, Product, Quote, RecurringInvoice
from billing.serializers import (
    CreditNoteSerializer,
    InvoiceSerializer,
    PaymentSerializer,
    ProductSerializer,
    QuoteSerializer,
    RecurringInvoiceSerializer,
)


def product_payload(product: Product) -> dict:
    return ProductSerializer(product).data


def invoice_payload(invoice: Invoice) -> dict:
    return InvoiceSerializer(invoice).data


def invoice_payloads(invoices: list[Invoice]) -> list[dict]:
    """Many invoices' payloads with one serializer (its fields are built once, not per row)."""
    return InvoiceSerializer(invoices, many=True).data


def payment_payload(payment: Payment) -> dict:
    return PaymentSerializer(payment).data


def quote_payload(quote: Quote) -> dict:
    return QuoteSerializer(quote).data


def credit_note_payload(credit_note: CreditNote) -> dict:
    return CreditNoteSerializer(credit_note).data


def recurring_invoice_payload(recurring_invoice: RecurringInvoice) -> dict:
    return RecurringInvoiceSerializer(recurring_invoice).data
