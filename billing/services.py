"""Every write to products, invoices, payments and quotes.

Each function is atomic, writes its webhook events inside its own transaction (the outbox),
and asks reporting to refresh the roll-ups of the dates it touched once it commits. Derived
money (line amounts, totals, amount paid, balance due) and invoice status are recomputed here
from their stored parts, never incremented and never computed in `Model.save()`.
"""

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from api.db import atomic
from api.exceptions import ConflictError, DomainValidationError
from api.fields import AMOUNT_POSITIVE
from api.money import ZERO, to_cents
from billing import numbering
from billing.models import (
    OPEN_QUOTE_STATUSES,
    Invoice,
    InvoiceItem,
    InvoiceStatus,
    LineItem,
    Payment,
    PaymentMethod,
    Product,
    Quote,
    QuoteItem,
    QuoteStatus,
)
from billing.totals import LineAmounts, document_totals, line_amounts
from customers.models import Customer
from ledger.models import Account
from ledger.services import payment_transaction_create, payment_transaction_void
from reporting.hooks import rollups_refresh_on_commit
from webhooks.services import event_publish

PAYMENT_TERMS_DAYS = 30
QUOTE_VALIDITY_DAYS = 30
PRODUCT_FIELDS = ("name", "price", "description", "type", "tax_rate")
# The fields that make an invoice's money: locked once the invoice is paid in full.
LINE_KEYS = ("product_id", "description", "amount", "qty", "tax_rate")
OPEN_INVOICE_STATUSES = (
    InvoiceStatus.UNPAID,
    InvoiceStatus.PARTIALLY_PAID,
    InvoiceStatus.PAID,
)

DUE_BEFORE_DATE = "Due date cannot be before the invoice date."
VALID_UNTIL_BEFORE_DATE = "Valid until cannot be before the quote date."


# --- payloads (the resource as the API shows it, for events) -------------------------------


def product_payload(product: Product) -> dict:
    from billing.serializers import ProductSerializer

    return ProductSerializer(product).data


def invoice_payload(invoice: Invoice) -> dict:
    from billing.serializers import InvoiceSerializer

    return InvoiceSerializer(invoice).data


def payment_payload(payment: Payment) -> dict:
    from billing.serializers import PaymentSerializer

    return PaymentSerializer(payment).data


def quote_payload(quote: Quote) -> dict:
    from billing.serializers import QuoteSerializer

    return QuoteSerializer(quote).data


# --- products ------------------------------------------------------------------------------


def product_create(*, data: dict) -> Product:
    """Creates a product or service. No event: products are catalog data, not business events."""
    with atomic():
        return Product.objects.create(**{k: v for k, v in data.items() if k in PRODUCT_FIELDS})


def product_update(*, product: Product, data: dict) -> Product:
    """Updates catalog fields. Existing invoice lines keep the price and tax rate they were
    issued with (they are copied onto the line, never read through the product)."""
    with atomic():
        changed = [k for k in PRODUCT_FIELDS if k in data]
        for name in changed:
            setattr(product, name, data[name])
        product.save(update_fields=[*changed, "updated_at"])
    return product


def product_delete(*, product: Product) -> None:
    """Deletes a product; lines that used it keep their copied description and prices."""
    with atomic():
        product.delete()


# --- lines and totals ----------------------------------------------------------------------


def _lines_build(*, items: list[dict], path: str = "items") -> list[dict]:
    """Validates and completes item inputs: a line with a `product` takes the product's name,
    price and tax rate for whatever it does not give itself. Returns the line rows with their
    rounded amounts; raises one DomainValidationError listing every bad item field."""
    if not items:
        raise DomainValidationError({path: "Add at least one item."})
    errors: dict[str, str] = {}
    lines: list[dict] = []
    for index, item in enumerate(items):
        product: Product | None = item.get("product")
        description = (item.get("description") or "").strip() or (product.name if product else "")
        amount = item.get("amount")
        if amount is None and product is not None:
            amount = product.price
        tax_rate = item.get("tax_rate")
        if tax_rate is None:
            tax_rate = product.tax_rate if product is not None else ZERO
        qty = item.get("qty")
        qty = Decimal(1) if qty is None else Decimal(qty)
        where = f"{path}.{index}"
        if not description:
            errors[f"{where}.description"] = "This field is required."
        if amount is None:
            errors[f"{where}.amount"] = "This field is required."
        elif to_cents(amount) <= 0:
            errors[f"{where}.amount"] = AMOUNT_POSITIVE
        if qty <= 0:
            errors[f"{where}.qty"] = "Quantity must be greater than 0."
        if not ZERO <= Decimal(tax_rate) <= 100:
            errors[f"{where}.tax_rate"] = "Tax rate must be between 0 and 100."
        if any(key.startswith(where + ".") for key in errors):
            continue
        amount = to_cents(amount)
        parts = line_amounts(qty=qty, unit_price=amount, tax_rate=Decimal(tax_rate))
        lines.append(
            {
                "product": product,
                "description": description,
                "amount": amount,
                "qty": qty,
                "tax_rate": Decimal(tax_rate),
                "line_subtotal": parts.subtotal,
                "line_tax": parts.tax,
                "position": index,
            }
        )
    if errors:
        raise DomainValidationError(errors)
    return lines


def _line_key(line: LineItem | dict) -> tuple:
    if isinstance(line, dict):
        product = line["product"]
        values = (product.pk if product is not None else None, line["description"])
        numbers = (line["amount"], line["qty"], line["tax_rate"])
    else:
        values = (line.product_id, line.description)
        numbers = (line.amount, line.qty, line.tax_rate)
    return values + tuple(Decimal(n).normalize() for n in numbers)


def _lines_differ(current: Iterable[LineItem], new_lines: list[dict]) -> bool:
    return [_line_key(line) for line in current] != [_line_key(line) for line in new_lines]


def _discount_check(*, discount: Decimal, subtotal: Decimal) -> None:
    if discount > subtotal:
        raise DomainValidationError(
            {"discount": f"Discount cannot be more than the subtotal ({subtotal})."}
        )


def _apply_totals(document: Invoice | Quote, lines: Iterable[LineItem | dict]) -> None:
    def parts(line):
        if isinstance(line, dict):
            return line["line_subtotal"], line["line_tax"]
        return line.line_subtotal, line.line_tax

    totals = document_totals(
        lines=[LineAmounts(*parts(line)) for line in lines], discount=document.discount
    )
    _discount_check(discount=totals.discount, subtotal=totals.subtotal)
    document.subtotal = totals.subtotal
    document.discount = totals.discount
    document.tax = totals.tax
    document.total = totals.total


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
    if due < issued:
        raise DomainValidationError({"due_date": DUE_BEFORE_DATE})


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
    _apply_totals(invoice, lines)
    invoice.status = (
        InvoiceStatus.DRAFT
        if status == InvoiceStatus.DRAFT
        else _paid_status(total=invoice.total, amount_paid=ZERO)
    )
    invoice.amount_paid = ZERO
    invoice.balance_due = invoice.total
    invoice.save()
    InvoiceItem.objects.bulk_create([InvoiceItem(invoice=invoice, **line) for line in lines])
    event_publish(event_type="invoice.created", data=invoice_payload(invoice))
    rollups_refresh_on_commit(dates=[invoice.date])
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
    to today and `due_date` to 30 days later. Announces `invoice.created`."""
    issued = date or timezone.localdate()
    due = due_date or issued + timedelta(days=PAYMENT_TERMS_DAYS)
    _dates_check(issued=issued, due=due)
    lines = _lines_build(items=items)
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


def invoice_update(*, invoice: Invoice, data: dict) -> Invoice:
    """Applies the given fields (`customer`, `date`, `due_date`, `discount`, `notes`, `status`,
    `items` replacing all lines). Guarantees, under a lock on the invoice row: a Paid invoice's
    lines, discount and customer never change (409); a new total never drops below what was
    already paid (409); status and balance are recomputed from lines and payments. Announces
    `invoice.updated`, and `invoice.paid` if the edit made it Paid."""
    lines = _lines_build(items=data["items"]) if "items" in data else None
    with atomic():
        invoice = _invoice_lock(invoice)
        before_status, before_date = invoice.status, invoice.date
        paid = _amount_paid(invoice)
        current_lines = list(invoice.items.all())
        lines_change = lines is not None and _lines_differ(current_lines, lines)
        discount = to_cents(data["discount"]) if data.get("discount") is not None else None
        discount_change = discount is not None and discount != invoice.discount
        customer = data.get("customer")
        customer_change = customer is not None and customer.pk != invoice.customer_id

        if (lines_change or discount_change) and invoice.status == InvoiceStatus.PAID:
            raise ConflictError("A paid invoice's items and discount cannot be edited.")
        if customer_change and invoice.payments.exists():
            raise ConflictError("An invoice with payments cannot move to another customer.")

        issued = data.get("date") or invoice.date
        due = data.get("due_date") or invoice.due_date
        _dates_check(issued=issued, due=due)

        if customer_change:
            invoice.customer = customer
        invoice.date, invoice.due_date = issued, due
        if "notes" in data:
            invoice.notes = data["notes"] or ""
        if discount is not None:
            invoice.discount = discount
        _apply_totals(invoice, lines if lines_change else current_lines)
        if invoice.total < paid:
            raise ConflictError(
                f"The new total {invoice.total} would be less than the {paid} already paid."
            )
        invoice.status = _status_resolve(
            requested=data.get("status"), current=invoice.status, total=invoice.total, paid=paid
        )
        _apply_payments(invoice)
        invoice.save()
        if lines_change:
            invoice.items.all().delete()
            InvoiceItem.objects.bulk_create(
                [InvoiceItem(invoice=invoice, **line) for line in lines]
            )
        event_publish(event_type="invoice.updated", data=invoice_payload(invoice))
        if invoice.status == InvoiceStatus.PAID and before_status != InvoiceStatus.PAID:
            event_publish(event_type="invoice.paid", data=invoice_payload(invoice))
        rollups_refresh_on_commit(dates=sorted({before_date, invoice.date}))
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
        rollups_refresh_on_commit(dates=[issued])


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
    `payment.received`, `invoice.updated`, and `invoice.paid` when it becomes Paid."""
    amount = to_cents(amount)
    paid_on = date or timezone.localdate()
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
            description=f"Payment for invoice {invoice.invoice_number}",
            invoice_id=invoice.pk,
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
        rollups_refresh_on_commit(dates=sorted({invoice.date, paid_on}))
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
        rollups_refresh_on_commit(dates=sorted({invoice.date, payment.date}))
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
    valid = valid_until or issued + timedelta(days=QUOTE_VALIDITY_DAYS)
    if valid < issued:
        raise DomainValidationError({"valid_until": VALID_UNTIL_BEFORE_DATE})
    _quote_status_check(status)
    lines = _lines_build(items=items)
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
        _apply_totals(quote, lines)
        quote.save()
        QuoteItem.objects.bulk_create([QuoteItem(quote=quote, **line) for line in lines])
        event_publish(event_type="quote.created", data=quote_payload(quote))
    return quote


def _quote_lock(quote: Quote) -> Quote:
    return Quote.objects.select_for_update().get(pk=quote.pk)


def quote_update(*, quote: Quote, data: dict) -> Quote:
    """Applies the given fields (`customer`, `date`, `valid_until`, `discount`, `notes`,
    `status`, `items` replacing all lines). A converted quote is frozen (409). Announces
    `quote.updated`."""
    _quote_status_check(data.get("status"))
    lines = _lines_build(items=data["items"]) if "items" in data else None
    with atomic():
        quote = _quote_lock(quote)
        if quote.status == QuoteStatus.CONVERTED:
            raise ConflictError("A converted quote cannot be edited.")
        issued = data.get("date") or quote.date
        valid = data.get("valid_until") or quote.valid_until
        if valid < issued:
            raise DomainValidationError({"valid_until": VALID_UNTIL_BEFORE_DATE})
        quote.date, quote.valid_until = issued, valid
        for name in ("customer", "status"):
            if data.get(name) is not None:
                setattr(quote, name, data[name])
        if "notes" in data:
            quote.notes = data["notes"] or ""
        if data.get("discount") is not None:
            quote.discount = to_cents(data["discount"])
        current_lines = list(quote.items.all())
        _apply_totals(quote, lines if lines is not None else current_lines)
        quote.save()
        if lines is not None:
            quote.items.all().delete()
            QuoteItem.objects.bulk_create([QuoteItem(quote=quote, **line) for line in lines])
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
        lines = _lines_build(
            items=[
                {
                    "product": item.product,
                    "description": item.description,
                    "amount": item.amount,
                    "qty": item.qty,
                    "tax_rate": item.tax_rate,
                }
                for item in quote.items.select_related("product")
            ]
        )
        invoice = _invoice_insert(
            customer=quote.customer,
            lines=lines,
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
