"""Every write to products, invoices, payments and quotes.

Each function is atomic, writes its webhook events inside its own transaction (the outbox),
and asks reporting to refresh the roll-ups of the dates it touched once it commits. Derived
money (line amounts, totals, amount paid, balance due) and invoice status are recomputed here
from their stored parts, never incremented and never computed in `Model.save()`.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from billing import numbering
from billing.documents import (
    lines_build,
    lines_of,
    lines_store,
    period_check,
    revision_apply,
    revision_of,
    totals_apply,
)
from billing.events import invoice_payload, payment_payload, quote_payload
from billing.models import (
    OPEN_QUOTE_STATUSES,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    Product,
    ProductType,
    Quote,
    QuoteStatus,
)
from billing.sending import payment_receipt_queue
from core.db import atomic
from core.errors import ConflictError, DomainValidationError
from core.fields import AMOUNT_POSITIVE, business_dates_check
from core.hooks import money_moved
from core.money import ZERO, to_cents
from core.services import model_update
from customers.models import Customer
from ledger.models import Account
from ledger.services import payment_transaction_create, payment_transaction_void
from webhooks.services import event_publish

PAYMENT_TERMS_DAYS = 30
QUOTE_VALIDITY_DAYS = 30
PRODUCT_FIELDS = ["name", "price", "description", "type", "tax_rate"]
OPEN_INVOICE_STATUSES = (
    InvoiceStatus.UNPAID,
    InvoiceStatus.PARTIALLY_PAID,
    InvoiceStatus.PAID,
)

DUE_BEFORE_DATE = "Due date cannot be before the invoice date."
VALID_UNTIL_BEFORE_DATE = "Valid until cannot be before the quote date."


# --- products ------------------------------------------------------------------------------


def product_create(
    *,
    name: str,
    price: Decimal = ZERO,
    description: str = "",
    type: str = ProductType.SERVICE,
    tax_rate: Decimal = ZERO,
) -> Product:
    """Creates a product or service. No event: products are catalog data, not business events."""
    with atomic():
        return Product.objects.create(
            name=name, price=price, description=description or "", type=type, tax_rate=tax_rate
        )


def product_batch_create(*, records: list[dict]) -> list[Product]:
    """Creates every product or none (each record holds `product_create`'s arguments; missing
    ones take its defaults), in one `bulk_create`. No events, like `product_create`."""
    products = [
        Product(
            name=record["name"],
            price=record.get("price", ZERO),
            description=record.get("description") or "",
            type=record.get("type", ProductType.SERVICE),
            tax_rate=record.get("tax_rate", ZERO),
        )
        for record in records
    ]
    with atomic():
        return Product.objects.bulk_create(products)


def product_update(
    *,
    product: Product,
    name: str | None = None,
    price: Decimal | None = None,
    description: str | None = None,
    type: str | None = None,
    tax_rate: Decimal | None = None,
) -> Product:
    """Updates the catalog fields given (None: unchanged). Existing invoice lines keep the
    price and tax rate they were issued with (they are copied onto the line, never read
    through the product)."""
    given = dict(name=name, price=price, description=description, type=type, tax_rate=tax_rate)
    data = {key: value for key, value in given.items() if value is not None}
    with atomic():
        product = Product.objects.select_for_update().get(pk=product.pk)
        product, _ = model_update(instance=product, fields=PRODUCT_FIELDS, data=data)
    return product


def product_delete(*, product: Product) -> None:
    """Deletes a product (of concurrent deletes, one succeeds and the rest find nothing);
    lines that used it keep their copied description and prices."""
    with atomic():
        Product.objects.select_for_update().get(pk=product.pk).delete()


# --- invoices ------------------------------------------------------------------------------


def _paid_status(*, total: Decimal, amount_paid: Decimal) -> str:
    if amount_paid >= total:
        return InvoiceStatus.PAID
    if amount_paid > 0:
        return InvoiceStatus.PARTIALLY_PAID
    return InvoiceStatus.UNPAID


def _status_resolve(*, requested: str | None, current: str, total: Decimal, paid: Decimal) -> str:
    """The status an invoice ends up with. Draft and Cancelled are chosen by people; the open
    statuses (Unpaid, Partially Paid, Paid) always follow the payments recorded."""
    if requested is None:
        requested = current
    if requested in (InvoiceStatus.DRAFT, InvoiceStatus.CANCELLED):
        if requested != current and paid > 0:
            raise ConflictError(
                f"An invoice with payments cannot become {requested}; void its payments first."
            )
        return requested
    derived = _paid_status(total=total, amount_paid=paid)
    if requested != current and requested != derived and requested in OPEN_INVOICE_STATUSES:
        raise DomainValidationError(
            {"status": f"Status follows the payments recorded: this invoice is {derived}."}
        )
    return derived


def _amount_paid(invoice: Invoice) -> Decimal:
    return sum((p.amount for p in invoice.payments.active()), ZERO)


def _apply_payments(invoice: Invoice) -> None:
    """Recomputes amount paid, balance due and status from the non-voided payments."""
    invoice.amount_paid = _amount_paid(invoice)
    invoice.balance_due = invoice.total - invoice.amount_paid
    if invoice.status not in (InvoiceStatus.DRAFT, InvoiceStatus.CANCELLED):
        invoice.status = _paid_status(total=invoice.total, amount_paid=invoice.amount_paid)


def _dates_check(*, issued: date, due: date) -> None:
    business_dates_check(date=issued, due_date=due)
    period_check(start=issued, end=due, field="due_date", message=DUE_BEFORE_DATE)


def _invoice_insert(
    *,
    customer: Customer,
    lines: list[dict],
    date: date,
    due_date: date,
    discount: Decimal,
    notes: str,
    status: str | None,
) -> Invoice:
    if status not in (None, InvoiceStatus.DRAFT, InvoiceStatus.UNPAID):
        raise DomainValidationError({"status": "A new invoice is either Draft or Unpaid."})
    invoice = Invoice(
        customer=customer,
        date=date,
        due_date=due_date,
        discount=to_cents(discount),
        notes=notes,
        invoice_number=numbering.number_next(kind=numbering.INVOICE, year=date.year),
    )
    totals_apply(invoice, lines)
    invoice.status = (
        InvoiceStatus.DRAFT
        if status == InvoiceStatus.DRAFT
        else _paid_status(total=invoice.total, amount_paid=ZERO)
    )
    invoice.amount_paid = ZERO
    invoice.balance_due = invoice.total
    invoice.save()
    lines_store(invoice, lines)
    event_publish(event_type="invoice.created", data=invoice_payload(invoice))
    money_moved(dates=[invoice.date])
    return invoice


def invoice_create(
    *,
    customer: Customer,
    items: list[dict],
    date: date | None = None,
    due_date: date | None = None,
    discount: Decimal = ZERO,
    notes: str = "",
    status: str | None = None,
) -> Invoice:
    """Creates an invoice with its next `INV-YYYY-NNN` number (year of `date`), its lines
    rounded half-up to the cent, and totals summed from those stored parts. `date` defaults
    to today and `due_date` to 30 days later; both lie in the business date window. Announces
    `invoice.created`."""
    issued = date or timezone.localdate()
    business_dates_check(date=issued)  # before a default is derived from it
    due = due_date or issued + timedelta(days=PAYMENT_TERMS_DAYS)
    _dates_check(issued=issued, due=due)
    lines = lines_build(items=items)
    with atomic():
        return _invoice_insert(
            customer=customer,
            lines=lines,
            date=issued,
            due_date=due,
            discount=discount or ZERO,
            notes=notes or "",
            status=status,
        )


def _invoice_lock(invoice: Invoice) -> Invoice:
    return Invoice.objects.select_for_update().get(pk=invoice.pk)


def invoice_update(
    *,
    invoice: Invoice,
    customer: Customer | None = None,
    date: date | None = None,
    due_date: date | None = None,
    discount: Decimal | None = None,
    notes: str | None = None,
    status: str | None = None,
    items: list[dict] | None = None,
) -> Invoice:
    """Applies the arguments given (None: unchanged; `items` replaces all lines). Guarantees,
    under a lock on the invoice row: a Paid invoice's lines, discount and customer never
    change (409); a new total never drops below what was already paid (409); status and
    balance are recomputed from lines and payments. Announces `invoice.updated`, and
    `invoice.paid` if the edit made it Paid."""
    business_dates_check(date=date, due_date=due_date)
    lines = lines_build(items=items) if items is not None else None
    with atomic():
        invoice = _invoice_lock(invoice)
        before_status, before_date = invoice.status, invoice.date
        paid = _amount_paid(invoice)
        revision = revision_of(invoice, lines=lines, discount=discount)
        customer_change = customer is not None and customer.pk != invoice.customer_id

        if revision.changes_money and invoice.status == InvoiceStatus.PAID:
            raise ConflictError("A paid invoice's items and discount cannot be edited.")
        if customer_change and invoice.payments.exists():
            raise ConflictError("An invoice with payments cannot move to another customer.")

        issued, due = date or invoice.date, due_date or invoice.due_date
        _dates_check(issued=issued, due=due)

        if customer_change:
            invoice.customer = customer
        invoice.date, invoice.due_date = issued, due
        revision_apply(invoice, revision, notes=notes)
        if invoice.total < paid:
            raise ConflictError(
                f"The new total {invoice.total} would be less than the {paid} already paid."
            )
        invoice.status = _status_resolve(
            requested=status, current=invoice.status, total=invoice.total, paid=paid
        )
        _apply_payments(invoice)
        invoice.save()
        lines_store(invoice, revision.lines, replace=True)
        event_publish(event_type="invoice.updated", data=invoice_payload(invoice))
        if invoice.status == InvoiceStatus.PAID and before_status != InvoiceStatus.PAID:
            event_publish(event_type="invoice.paid", data=invoice_payload(invoice))
        money_moved(dates=sorted({before_date, invoice.date}))
    return invoice


def invoice_delete(*, invoice: Invoice) -> None:
    """Deletes an invoice that has never received a payment. A paid invoice, or one with
    payments (even voided ones, kept for the audit trail), is a 409: cancel it instead."""
    with atomic():
        invoice = _invoice_lock(invoice)
        if invoice.status == InvoiceStatus.PAID:
            raise ConflictError("A paid invoice cannot be deleted.")
        if invoice.payments.exists():
            raise ConflictError(
                "An invoice with payments cannot be deleted; set its status to Cancelled instead."
            )
        issued = invoice.date
        invoice.delete()
        money_moved(dates=[issued])


# --- payments ------------------------------------------------------------------------------


def payment_record(
    *,
    invoice: Invoice,
    amount: Decimal,
    account: Account,
    date: date | None = None,
    method: str = PaymentMethod.BANK_TRANSFER,
    note: str = "",
) -> Payment:
    """Records money received against an invoice: one Income transaction on `account`, linked
    to the payment. With the invoice row locked, amount paid, balance due and status are
    recomputed from the sum of non-voided payments, so concurrent payments can never overpay.
    Overpaying is a 400 on `amount`; paying a Draft or Cancelled invoice is a 409. Announces
    `payment.received`, `invoice.updated`, and `invoice.paid` when it becomes Paid, and queues
    the customer's receipt (billing.sending.payment_receipt_queue) in the same transaction."""
    amount = to_cents(amount)
    paid_on = date or timezone.localdate()
    business_dates_check(date=paid_on)
    if amount <= 0:
        raise DomainValidationError({"amount": AMOUNT_POSITIVE})
    with atomic():
        invoice = _invoice_lock(invoice)
        if invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.CANCELLED):
            raise ConflictError(f"A {invoice.status} invoice cannot receive payments.")
        balance = invoice.total - _amount_paid(invoice)
        if balance <= 0:
            raise DomainValidationError({"amount": "This invoice is already paid in full."})
        if amount > balance:
            raise DomainValidationError(
                {"amount": f"Amount is more than the balance due ({balance})."}
            )
        before_status = invoice.status
        txn = payment_transaction_create(
            account=account,
            amount=amount,
            date=paid_on,
            invoice_id=invoice.pk,
            description=f"Payment for invoice {invoice.invoice_number}",
        )
        payment = Payment.objects.create(
            invoice=invoice,
            amount=amount,
            date=paid_on,
            account=account,
            method=method or PaymentMethod.BANK_TRANSFER,
            note=note or "",
            transaction=txn,
        )
        _apply_payments(invoice)
        invoice.save(update_fields=["amount_paid", "balance_due", "status", "updated_at"])
        payment.invoice = invoice
        event_publish(event_type="payment.received", data=payment_payload(payment))
        event_publish(event_type="invoice.updated", data=invoice_payload(invoice))
        if invoice.status == InvoiceStatus.PAID and before_status != InvoiceStatus.PAID:
            event_publish(event_type="invoice.paid", data=invoice_payload(invoice))
        money_moved(dates=sorted({invoice.date, paid_on}))
        payment_receipt_queue(payment=payment)
    return payment


def payment_void(*, payment: Payment) -> Payment:
    """Voids a payment: its ledger transaction is voided (kept, excluded from balances and
    reports) and the invoice's amount paid, balance due and status are recomputed under a lock
    on the invoice row (locks: invoice, then payment). A second void is a 409. Announces
    `payment.voided` and `invoice.updated`."""
    with atomic():
        invoice = Invoice.objects.select_for_update().get(pk=payment.invoice_id)
        payment = (
            Payment.objects.select_for_update().select_related("transaction").get(pk=payment.pk)
        )
        if payment.voided_at is not None:
            raise ConflictError("This payment is already voided.")
        payment.voided_at = timezone.now()
        payment.save(update_fields=["voided_at"])
        payment_transaction_void(txn=payment.transaction)
        _apply_payments(invoice)
        invoice.save(update_fields=["amount_paid", "balance_due", "status", "updated_at"])
        payment.invoice = invoice
        event_publish(event_type="payment.voided", data=payment_payload(payment))
        event_publish(event_type="invoice.updated", data=invoice_payload(invoice))
        money_moved(dates=sorted({invoice.date, payment.date}))
    return payment


# --- quotes --------------------------------------------------------------------------------

SETTABLE_QUOTE_STATUSES = (
    QuoteStatus.DRAFT,
    QuoteStatus.SENT,
    QuoteStatus.ACCEPTED,
    QuoteStatus.DECLINED,
)


def _quote_status_check(status: str | None) -> None:
    if status is not None and status not in SETTABLE_QUOTE_STATUSES:
        raise DomainValidationError(
            {
                "status": "Expired follows valid_until and Converted is set by converting; "
                "choose Draft, Sent, Accepted or Declined."
            }
        )


def _quote_dates_check(*, issued: date, valid: date) -> None:
    business_dates_check(date=issued, valid_until=valid)
    period_check(start=issued, end=valid, field="valid_until", message=VALID_UNTIL_BEFORE_DATE)


def quote_create(
    *,
    customer: Customer,
    items: list[dict],
    valid_until: date | None = None,
    date: date | None = None,
    discount: Decimal = ZERO,
    notes: str = "",
    status: str | None = None,
) -> Quote:
    """Creates a quote numbered `QUO-YYYY-NNN` with totals computed like an invoice's.
    `date` defaults to today, or to `valid_until` when that is already past (a quote recorded
    after the fact, shown `Expired`: the reference's own example is such a quote); `valid_until`
    defaults to 30 days after the date. Announces `quote.created`."""
    issued = date or min(filter(None, [timezone.localdate(), valid_until]))
    business_dates_check(date=issued)  # before a default is derived from it
    valid = valid_until or issued + timedelta(days=QUOTE_VALIDITY_DAYS)
    _quote_dates_check(issued=issued, valid=valid)
    _quote_status_check(status)
    lines = lines_build(items=items)
    with atomic():
        quote = Quote(
            customer=customer,
            date=issued,
            valid_until=valid,
            discount=to_cents(discount or ZERO),
            notes=notes or "",
            status=status or QuoteStatus.DRAFT,
            quote_number=numbering.number_next(kind=numbering.QUOTE, year=issued.year),
        )
        totals_apply(quote, lines)
        quote.save()
        lines_store(quote, lines)
        event_publish(event_type="quote.created", data=quote_payload(quote))
    return quote


def _quote_lock(quote: Quote) -> Quote:
    return Quote.objects.select_for_update().get(pk=quote.pk)


def quote_update(
    *,
    quote: Quote,
    customer: Customer | None = None,
    date: date | None = None,
    valid_until: date | None = None,
    discount: Decimal | None = None,
    notes: str | None = None,
    status: str | None = None,
    items: list[dict] | None = None,
) -> Quote:
    """Applies the arguments given (None: unchanged; `items` replaces all lines). A converted
    quote is frozen (409). Announces `quote.updated`."""
    _quote_status_check(status)
    business_dates_check(date=date, valid_until=valid_until)
    lines = lines_build(items=items) if items is not None else None
    with atomic():
        quote = _quote_lock(quote)
        if quote.status == QuoteStatus.CONVERTED:
            raise ConflictError("A converted quote cannot be edited.")
        issued, valid = date or quote.date, valid_until or quote.valid_until
        _quote_dates_check(issued=issued, valid=valid)
        quote.date, quote.valid_until = issued, valid
        if customer is not None:
            quote.customer = customer
        if status is not None:
            quote.status = status
        revision = revision_of(quote, lines=lines, discount=discount)
        revision_apply(quote, revision, notes=notes)
        quote.save()
        lines_store(quote, revision.lines, replace=True)
        event_publish(event_type="quote.updated", data=quote_payload(quote))
    return quote


def quote_delete(*, quote: Quote) -> None:
    """Deletes a quote that has not been converted (a converted one documents where its
    invoice came from: 409)."""
    with atomic():
        quote = _quote_lock(quote)
        if quote.status == QuoteStatus.CONVERTED:
            raise ConflictError("A converted quote cannot be deleted.")
        quote.delete()


def quote_convert(
    *, quote: Quote, date: date | None = None, due_date: date | None = None
) -> Invoice:
    """Turns a quote into an Unpaid invoice with the same customer, lines, discount and notes,
    exactly once: the quote row is locked, so two concurrent conversions cannot both succeed.
    A Declined, Expired (valid_until passed) or already Converted quote is a 409. Announces
    `invoice.created` and `quote.converted`."""
    issued = date or timezone.localdate()
    business_dates_check(date=issued)  # before a default is derived from it
    due = due_date or issued + timedelta(days=PAYMENT_TERMS_DAYS)
    _dates_check(issued=issued, due=due)
    with atomic():
        quote = _quote_lock(quote)
        status = quote.effective_status()
        if status == QuoteStatus.CONVERTED:
            number = quote.invoice.invoice_number if quote.invoice_id else "an invoice"
            raise ConflictError(f"This quote was already converted to {number}.")
        if status not in OPEN_QUOTE_STATUSES:
            raise ConflictError(f"This quote is {status} and cannot be converted.")
        invoice = _invoice_insert(
            customer=quote.customer,
            lines=lines_build(items=lines_of(quote)),
            date=issued,
            due_date=due,
            discount=quote.discount,
            notes=quote.notes,
            status=None,
        )
        quote.status = QuoteStatus.CONVERTED
        quote.invoice = invoice
        quote.save(update_fields=["status", "invoice", "updated_at"])
        event_publish(event_type="quote.converted", data=quote_payload(quote))
    return invoice
