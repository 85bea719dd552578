"""Online payment through Stripe Checkout (contract section 12, docs/portal.md).

- `checkout_session_create`: called when the customer presses Pay (never on a page view);
  asks Stripe for a Checkout Session for the invoice's balance due, `client_reference_id` =
  the invoice's id, and returns the session's URL to redirect to. The official `stripe`
  package talks to `STRIPE_API_BASE` (a per-client `base_addresses`, the thread-safe form of
  `stripe.api_base`), so tests and staging point it at a stand-in.
- `webhook_handle`: verifies `Stripe-Signature` with `STRIPE_WEBHOOK_SECRET`
  (`stripe.Webhook.construct_event`) and, on a paid `checkout.session.completed` (or
  `checkout.session.async_payment_succeeded`), records the money through billing's
  `online_payment_record`, once per payment intent.
"""

import json
import logging
from dataclasses import dataclass
from decimal import Decimal

import stripe
from django.conf import settings
from django.db import IntegrityError

from billing.models import Invoice, InvoiceStatus
from billing.services import online_payment_record
from core.actor import Actor, acting_as
from core.errors import ConflictError, DomainValidationError
from ledger.models import Account

logger = logging.getLogger("ledgerline.portal")

PAYABLE_STATUSES = (InvoiceStatus.UNPAID, InvoiceStatus.PARTIALLY_PAID)
PAID_EVENTS = ("checkout.session.completed", "checkout.session.async_payment_succeeded")
# Stripe's own lists: amounts in these currencies have no minor unit, or three decimals.
ZERO_DECIMAL = {
    "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA",
    "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF",
}  # fmt: skip
THREE_DECIMAL = {"BHD", "JOD", "KWD", "OMR", "TND"}


class PaymentUnavailable(Exception):
    """Stripe could not be reached or refused: the customer is asked to try again later."""


def online_payment_enabled() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def invoice_payable(invoice: Invoice) -> bool:
    return (
        online_payment_enabled() and invoice.status in PAYABLE_STATUSES and invoice.balance_due > 0
    )


def _exponent(currency: str) -> int:
    currency = currency.upper()
    if currency in ZERO_DECIMAL:
        return 0
    return 3 if currency in THREE_DECIMAL else 2


def to_minor_units(amount: Decimal, currency: str) -> int:
    return int(amount.scaleb(_exponent(currency)).to_integral_value())


def from_minor_units(amount: int, currency: str) -> Decimal:
    return Decimal(amount).scaleb(-_exponent(currency))


def _client() -> stripe.StripeClient:
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": settings.STRIPE_API_BASE},
        http_client=stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT),
        # One attempt: the customer is waiting, and can press Pay again.
        max_network_retries=0,
    )


def checkout_session_create(*, invoice: Invoice, return_url: str) -> str:
    """A Checkout Session for the invoice's balance due, in its currency; returns the URL of
    Stripe's payment page. Writes nothing here: the payment is recorded when Stripe's webhook
    says it was paid."""
    details = invoice.billing_details or {}
    number = invoice.invoice_number
    params = {
        "mode": "payment",
        "client_reference_id": str(invoice.pk),
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": invoice.currency.lower(),
                    "unit_amount": to_minor_units(invoice.balance_due, invoice.currency),
                    "product_data": {"name": f"Invoice {number} from {settings.COMPANY_NAME}"},
                },
            }
        ],
        "metadata": {"invoice_number": number},
        "payment_intent_data": {"metadata": {"invoice_number": number}},
        "success_url": f"{return_url}?payment=done",
        "cancel_url": return_url,
    }
    if details.get("email"):
        params["customer_email"] = details["email"]
    try:
        session = _client().v1.checkout.sessions.create(params=params)
    except stripe.StripeError as exc:
        # The message names no token: the return URLs are in `params`, not in the error.
        logger.warning("stripe checkout session for invoice %s failed: %s", invoice.pk, exc)
        raise PaymentUnavailable from exc
    return session.url


# --- the webhook -----------------------------------------------------------------------------


class WebhookRefused(Exception):
    """The delivery is answered with `status` and nothing is recorded."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class WebhookResult:
    recorded: bool
    message: str


def _account_for(currency: str) -> Account:
    if settings.STRIPE_ACCOUNT_ID is not None:
        account = Account.objects.filter(pk=settings.STRIPE_ACCOUNT_ID).first()
    else:
        account = Account.objects.filter(currency=currency.upper()).order_by("pk").first()
    if account is None:
        # 5xx: Stripe retries for days, so the payment is recorded once an account exists.
        raise WebhookRefused(503, f"No ledger account for {currency.upper()} payments.")
    return account


def webhook_handle(*, payload: bytes, signature: str) -> WebhookResult:
    """Verifies and handles one webhook delivery. Raises `WebhookRefused` (400 for a
    signature that does not verify or a malformed body, 503 when nothing can record it yet)."""
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        raise WebhookRefused(400, "Webhooks are not configured (STRIPE_WEBHOOK_SECRET).")
    try:
        stripe.Webhook.construct_event(payload, signature, secret)
    except (stripe.SignatureVerificationError, ValueError) as exc:
        raise WebhookRefused(400, "Signature verification failed.") from exc
    event = json.loads(payload)
    if event.get("type") not in PAID_EVENTS:
        return WebhookResult(False, f"Ignored: {event.get('type')}.")
    session = (event.get("data") or {}).get("object") or {}
    if session.get("payment_status") not in (None, "paid", "no_payment_required"):
        # An asynchronous payment method: async_payment_succeeded follows when it clears.
        return WebhookResult(False, "Ignored: not paid yet.")
    reference = session.get("payment_intent")
    invoice_id = str(session.get("client_reference_id") or "")
    amount_total, currency = session.get("amount_total"), session.get("currency")
    if not (isinstance(reference, str) and reference and invoice_id.isdigit()):
        return WebhookResult(False, "Ignored: not a portal payment.")
    if not isinstance(amount_total, int) or not isinstance(currency, str) or amount_total <= 0:
        raise WebhookRefused(400, "amount_total and currency are required.")
    invoice = Invoice.objects.filter(pk=int(invoice_id)).first()
    if invoice is None:
        return WebhookResult(False, "Ignored: no such invoice.")
    if currency.upper() != invoice.currency:
        # Sessions are created in the invoice's currency: another one is not ours to record.
        raise WebhookRefused(
            400, f"Paid in {currency.upper()}; the invoice is in {invoice.currency}."
        )
    amount = from_minor_units(amount_total, currency)
    with acting_as(Actor.system("stripe webhook")):
        try:
            _, created = online_payment_record(
                invoice=invoice,
                reference=reference,
                amount=amount,
                currency=currency,
                account=_account_for(currency),
            )
        except IntegrityError:
            # The unique reference caught a race the invoice lock did not: recorded once.
            return WebhookResult(False, "Already recorded.")
        except (DomainValidationError, ConflictError) as exc:
            logger.error("stripe payment %s not recorded: %s", reference, exc)
            raise WebhookRefused(409 if isinstance(exc, ConflictError) else 400, str(exc)) from exc
    return WebhookResult(created, "Recorded." if created else "Already recorded.")
