"""Payment receipts by email: queued by `billing.services.payment_record` inside the payment's
own transaction. Below the services (which import it), so it imports no service."""

import logging
from datetime import date

from django.conf import settings

from billing.models import Payment
from billing.portal_links import portal_url
from core.errors import DomainValidationError
from core.money_format import format_money
from mail.models import EmailMessage
from mail.services import email_queue, mail_sending_enabled

logger = logging.getLogger("ledgerline.billing")


def day_text(value: date) -> str:
    return f"{value:%d %b %Y}"


def payment_receipt_queue(*, payment: Payment) -> EmailMessage | None:
    """Queues a receipt for a payment just recorded, to the invoice's customer. Call it inside
    the transaction that records the payment. Nothing happens (None) when receipts are off
    (`EMAIL_PAYMENT_RECEIPTS`), sending is not configured, the customer has no usable email, or
    this payment already had its receipt (dedupe key `receipt:<payment id>`): a receipt never
    refuses a payment."""
    if not settings.EMAIL_PAYMENT_RECEIPTS or not mail_sending_enabled():
        return None
    invoice = payment.invoice
    customer = invoice.customer
    if not customer.email:
        return None
    currency = invoice.currency
    try:
        return email_queue(
            to=[customer.email],
            subject=f"Payment received for invoice {invoice.invoice_number}",
            template="receipt",
            context={
                "customer_name": customer.account,
                "amount": format_money(payment.amount, currency),
                "currency": currency,
                "date": day_text(payment.date),
                "invoice_number": invoice.invoice_number,
                "balance_due": format_money(invoice.balance_due, currency)
                if invoice.balance_due > 0
                else "",
                "portal_url": portal_url(invoice),
            },
            purpose="receipt",
            dedupe_key=f"receipt:{payment.pk}",
            customer_id=customer.pk,
            invoice_id=invoice.pk,
        )
    except DomainValidationError:
        # A customer email the outbox refuses (imported data): the payment stands regardless.
        logger.warning(
            "no receipt for payment %s: customer %s email refused", payment.pk, customer.pk
        )
        return None
