"""Every write to products, invoices, payments, credit notes and quotes.

Each function is atomic, writes its webhook events and its audit entries (one per resource it
changes) inside its own transaction, refuses money writes dated in closed books (409), and
asks reporting to refresh the roll-ups of the dates it touched once it commits. Derived money
(line amounts, totals, amount paid and credited, balance due) and invoice status are
recomputed here from their stored parts, never incremented and never computed in
`Model.save()`. The invoice lifecycle (draft → issued → paid/cancelled, credit notes) is
drawn in docs/billing.md.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from audit.changes import diff_fields, snapshot
from audit.services import audit_record, audit_record_each
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
from billing.events import (
    credit_note_payload,
    invoice_payload,
    payment_payload,
    quote_payload,
)
from billing.models import (
    OPEN_INVOICE_STATUSES,
    OPEN_QUOTE_STATUSES,
    CreditNote,
    CreditNoteSettlement,
    Invoice,
    InvoiceStatus,
    LineItem,
    OnlinePayment,
    Payment,
    PaymentMethod,
    PaymentSource,
    Product,
    ProductType,
    Quote,
    QuoteStatus,
    base_currency,
)
from billing.portal_links import portal_token_new
from billing.receipts import payment_receipt_queue
from core.books import books_assert_open
from core.currencies import currency_check
from core.db import atomic
from core.errors import ConflictError, DomainValidationError
from core.fields import AMOUNT_POSITIVE, business_dates_check
from core.hooks import money_moved
from core.money import ZERO, to_cents
from core.services import model_update
from customers.models import Customer
from customers.services import customer_credit_adjust
from ledger.models import Account
from ledger.selectors import exchange_rate_on
from ledger.services import (
    exchange_rate_resolve,
    payment_transaction_create,
    payment_transaction_void,
    refund_transaction_create,
)
from webhooks.services import event_publish

PAYMENT_TERMS_DAYS = 30
QUOTE_VALIDITY_DAYS = 30
PRODUCT_FIELDS = ["name", "price", "description", "type", "tax_rate"]
BILLING_DETAIL_FIELDS = ("account", "email", "address", "city", "state", "zip", "country")

DUE_BEFORE_DATE = "Due date cannot be before the invoice date."
FROZEN = "Issued invoices cannot be changed. Issue a credit note or cancel the invoice."
STATUS_NOT_SETTABLE = (
    "Status follows the invoice's lifecycle: issue a draft with POST /invoices/{id}/issue, "
    "cancel with POST /invoices/{id}/cancel; payments and credit notes set the rest."
)
VALID_UNTIL_BEFORE_DATE = "Valid until cannot be before the quote date."


def _audit(action: str, instance, changes: dict) -> None:
    """One audit entry on `instance`, its resource named by the action (`invoice.issued`)."""
    audit_record(
        action=action,
        resource=action.split(".")[0],
        resource_id=instance.pk,
        changes=changes,
    )


def _audit_each(*entries: tuple[str, object, dict]) -> None:
    """`_audit` for a write that changes several rows (a payment and its invoice): one
    INSERT for all of its entries."""
    audit_record_each(
        entries=[
            (action, action.split(".")[0], instance.pk, changes)
            for action, instance, changes in entries
        ]
    )


def _line_view(line: LineItem | dict) -> dict:
    """A line as the audit trail keeps it in an invoice's `items` change."""
    get = line.get if isinstance(line, dict) else lambda name: getattr(line, name)
    product = get("product")
    return {
        "product_id": product.pk if product is not None else None,
        "description": get("description"),
        "qty": get("qty"),
        "amount": get("amount"),
        "tax_rate": get("tax_rate"),
        "subtotal": get("line_subtotal"),
        "discount": get("line_discount"),
        "tax": get("line_tax"),
    }


def _state(document, lines=None) -> dict:
    """The document's fields, plus its lines when given, for `diff_fields`."""
    values = snapshot(document)
    if lines is not None:
        values["items"] = [_line_view(line) for line in lines]
    return values


def _rate(*, currency: str, on: date, given: Decimal | None) -> Decimal:
    """A document's rate: the one given (1 for the base currency), else the latest known on
    or before its date; none is a 400 on `exchange_rate`."""
    return exchange_rate_resolve(currency=currency, on=on, given=given)


def _rate_of_money(*, currency: str, on: date, fallback: Decimal) -> Decimal:
    """The rate of money moving on an account (a payment, a refund) on `on`: the latest known
    for that date, else the rate of the document it settles."""
    return exchange_rate_on(currency=currency, on=on) or fallback


def _account_currency_check(*, invoice: Invoice, account: Account | None) -> None:
    if account is not None and account.currency != invoice.currency:
        raise DomainValidationError(
            {
                "account_id": f"The invoice is in {invoice.currency} but account "
                f"{account.name} is in {account.currency}: use an account in "
                f"{invoice.currency}."
            }
        )


def _credit_currency_check(*, invoice: Invoice, field: str) -> None:
    """The customer's credit balance is in the customer's currency."""
    customer = invoice.customer
    if invoice.currency != customer.currency:
        raise DomainValidationError(
            {
                field: f"The customer's credit balance is in {customer.currency} but the "
                f"invoice is in {invoice.currency}."
            }
        )


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
        product = Product.objects.create(
            name=name, price=price, description=description or "", type=type, tax_rate=tax_rate
        )
        _audit("product.created", product, diff_fields({}, snapshot(product)))
    return product


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
        before = snapshot(product)
        product, _ = model_update(instance=product, fields=PRODUCT_FIELDS, data=data)
        _audit("product.updated", product, diff_fields(before, snapshot(product)))
    return product


def product_delete(*, product: Product) -> None:
    """Deletes a product (of concurrent deletes, one succeeds and the rest find nothing);
    lines that used it keep their copied description and prices."""
    with atomic():
        product = Product.objects.select_for_update().get(pk=product.pk)
        pk, before = product.pk, snapshot(product)
        product.delete()
        audit_record(
            action="product.deleted",
            resource="product",
            resource_id=pk,
            changes=diff_fields(before, {}),
        )


# --- invoices ------------------------------------------------------------------------------


def _figures_apply(invoice: Invoice) -> None:
    """Recomputes amount paid (non-voided payments), amount credited (credit notes), balance
    due and, on an issued invoice in force, the status. Drafts and cancelled invoices owe
    nothing."""
    invoice.amount_paid = sum((p.amount for p in invoice.payments.active()), ZERO)
    invoice.amount_credited = sum((c.total for c in invoice.credit_notes.all()), ZERO)
    if invoice.status not in OPEN_INVOICE_STATUSES:
        invoice.balance_due = ZERO
        return
    owed = invoice.total - invoice.amount_paid - invoice.amount_credited
    invoice.balance_due = max(owed, ZERO)
    if invoice.balance_due == 0:
        invoice.status = InvoiceStatus.PAID
    elif invoice.amount_paid + invoice.amount_credited > 0:
        invoice.status = InvoiceStatus.PARTIALLY_PAID
    else:
        invoice.status = InvoiceStatus.UNPAID


FIGURE_FIELDS = ["amount_paid", "amount_credited", "balance_due", "status", "updated_at"]


def _dates_check(*, issued: date, due: date) -> None:
    business_dates_check(date=issued, due_date=due)
    period_check(start=issued, end=due, field="due_date", message=DUE_BEFORE_DATE)


def _issue_apply(invoice: Invoice, customer: Customer) -> None:
    """Numbers the invoice (the next `INV-YYYY-NNN` of its date's year, under the counter
    row's lock held until the caller's transaction ends) and snapshots the billing details."""
    invoice.invoice_number = numbering.number_next(kind=numbering.INVOICE, year=invoice.date.year)
    invoice.billing_details = {name: getattr(customer, name) for name in BILLING_DETAIL_FIELDS}
    invoice.issued_at = timezone.now()
    invoice.status = InvoiceStatus.UNPAID
    invoice.portal_token = portal_token_new()


def _created_entry(invoice: Invoice, lines: list[dict]) -> tuple[str, Invoice, dict]:
    return "invoice.created", invoice, diff_fields({}, _state(invoice, lines))


def _invoice_insert(
    *,
    customer: Customer,
    lines: list[dict],
    date: date,
    due_date: date,
    discount: Decimal,
    notes: str,
    status: str | None,
    currency: str | None = None,
    exchange_rate: Decimal | None = None,
    fallback_rate: Decimal | None = None,
    audited: bool = True,
) -> Invoice:
    """Inserts the invoice and its lines, announces it and (unless `audited` is False: the
    caller then writes `_created_entry` with its own entries, in one statement) audits it."""
    if status not in (None, InvoiceStatus.DRAFT, InvoiceStatus.UNPAID):
        raise DomainValidationError({"status": "A new invoice is either Draft or Unpaid."})
    currency = currency or customer.currency or base_currency()
    if exchange_rate is None and fallback_rate is not None:
        exchange_rate = exchange_rate_on(currency=currency, on=date) or fallback_rate
    rate = _rate(currency=currency, on=date, given=exchange_rate)
    books_assert_open(date)
    invoice = Invoice(
        customer=customer,
        date=date,
        due_date=due_date,
        discount=to_cents(discount),
        notes=notes,
        currency=currency,
        exchange_rate=rate,
        status=InvoiceStatus.DRAFT,
    )
    totals_apply(invoice, lines)  # a refused discount takes no number
    if status != InvoiceStatus.DRAFT:
        _issue_apply(invoice, customer)
    invoice.amount_paid = invoice.amount_credited = invoice.balance_due = ZERO
    if invoice.status != InvoiceStatus.DRAFT:
        invoice.balance_due = invoice.total
        if invoice.total == 0:
            invoice.status = InvoiceStatus.PAID
    invoice.save()
    lines_store(invoice, lines)
    if audited:
        _audit(*_created_entry(invoice, lines))
    event_publish(event_type="invoice.created", data=invoice_payload(invoice))
    if invoice.status != InvoiceStatus.DRAFT:
        event_publish(event_type="invoice.issued", data=invoice_payload(invoice))
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
    currency: str | None = None,
    exchange_rate: Decimal | None = None,
) -> Invoice:
    """Creates an issued invoice (status None or Unpaid: numbered now, billing details
    snapshotted) or a draft (`Draft`: no number, owes nothing). Lines are rounded half-up to
    the cent, the discount shared over them before tax, totals summed from those stored parts.
    `date` defaults to today and `due_date` to 30 days later; both lie in the business date
    window, and `date` in open books (409). `currency` defaults to the customer's and
    `exchange_rate` to the latest rate on or before `date` (contract section 13). Announces
    `invoice.created` (and `invoice.issued` when issued)."""
    issued = date or timezone.localdate()
    business_dates_check(date=issued)  # before a default is derived from it
    due = due_date or issued + timedelta(days=PAYMENT_TERMS_DAYS)
    _dates_check(issued=issued, due=due)
    currency = currency_check(currency)
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
            currency=currency,
            exchange_rate=exchange_rate,
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
    currency: str | None = None,
    exchange_rate: Decimal | None = None,
) -> Invoice:
    """Applies the arguments given (None: unchanged; `items` replaces all lines). A draft changes
    freely; a new currency or date takes the rate of that day unless `exchange_rate` is given.
    An issued invoice is frozen: changing its customer, date, items, discount, currency or
    exchange rate is a 409 (`FROZEN`); its due date and notes stay editable. `status` is never
    set here (400 unless it is the current one): issue and cancel have their own services. Every
    change of an invoice, even of its notes, needs its date in open books. Announces
    `invoice.updated`."""
    business_dates_check(date=date, due_date=due_date)
    currency = currency_check(currency)
    lines = lines_build(items=items) if items is not None else None
    with atomic():
        invoice = _invoice_lock(invoice)
        if status is not None and status != invoice.status:
            raise DomainValidationError({"status": STATUS_NOT_SETTABLE})
        revision = revision_of(invoice, lines=lines, discount=discount)
        before = _state(invoice, revision.current)
        customer_change = customer is not None and customer.pk != invoice.customer_id
        date_change = date is not None and date != invoice.date
        currency_change = currency is not None and currency != invoice.currency
        rate_change = exchange_rate is not None and exchange_rate != invoice.exchange_rate
        if invoice.is_issued and (
            customer_change
            or date_change
            or currency_change
            or rate_change
            or revision.changes_money
        ):
            raise ConflictError(FROZEN)
        books_assert_open(invoice.date, date)

        issued, due = date or invoice.date, due_date or invoice.due_date
        _dates_check(issued=issued, due=due)
        if customer_change:
            invoice.customer = customer
        if currency_change:
            invoice.currency = currency
        if rate_change or currency_change or date_change:
            invoice.exchange_rate = _rate(currency=invoice.currency, on=issued, given=exchange_rate)
        invoice.date, invoice.due_date = issued, due
        revision_apply(invoice, revision, notes=notes)
        _figures_apply(invoice)
        invoice.save()
        lines_store(invoice, revision.lines, replace=True)
        after_lines = revision.lines if revision.lines is not None else revision.current
        _audit("invoice.updated", invoice, diff_fields(before, _state(invoice, after_lines)))
        event_publish(event_type="invoice.updated", data=invoice_payload(invoice))
        money_moved(dates=sorted({before["date"], invoice.date}))
    return invoice


def invoice_issue(*, invoice: Invoice) -> Invoice:
    """Issues a draft: takes the next `INV-YYYY-NNN` of its date's year (gapless: the counter
    row stays locked until this transaction ends, and a rollback gives the number back),
    snapshots the customer's billing details and makes it owed (Unpaid). Anything but a draft
    is a 409; so is a date in closed books. Announces `invoice.issued`."""
    with atomic():
        invoice = _invoice_lock(invoice)
        if invoice.status != InvoiceStatus.DRAFT:
            raise ConflictError(
                f"Only a draft can be issued; {invoice.invoice_number} is {invoice.status}."
            )
        books_assert_open(invoice.date)
        before = snapshot(invoice)
        _issue_apply(invoice, invoice.customer)
        _figures_apply(invoice)
        invoice.save()
        _audit("invoice.issued", invoice, diff_fields(before, snapshot(invoice)))
        event_publish(event_type="invoice.issued", data=invoice_payload(invoice))
        money_moved(dates=[invoice.date])
    return invoice


def invoice_cancel(*, invoice: Invoice, reason: str) -> Invoice:
    """Cancels an issued invoice that has no non-voided payment and no credit note: status
    Cancelled, balance due 0, the number kept. A draft (delete it instead), a cancelled
    invoice, or one with payments or credit notes is a 409; an empty reason a 400. Announces
    `invoice.cancelled`."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainValidationError({"reason": "This field is required."})
    with atomic():
        invoice = _invoice_lock(invoice)
        if invoice.status == InvoiceStatus.DRAFT:
            raise ConflictError("A draft is not issued: delete it instead of cancelling it.")
        if invoice.status == InvoiceStatus.CANCELLED:
            raise ConflictError(f"{invoice.invoice_number} is already cancelled.")
        if invoice.payments.active().exists():
            raise ConflictError(
                "An invoice with payments cannot be cancelled: void the payments or issue "
                "a credit note."
            )
        if invoice.credit_notes.exists():
            raise ConflictError(
                "An invoice with credit notes cannot be cancelled: credit the rest instead."
            )
        books_assert_open(invoice.date)
        before = snapshot(invoice)
        invoice.status = InvoiceStatus.CANCELLED
        invoice.cancel_reason = reason
        invoice.cancelled_at = timezone.now()
        _figures_apply(invoice)
        invoice.save()
        _audit("invoice.cancelled", invoice, diff_fields(before, snapshot(invoice)))
        event_publish(event_type="invoice.cancelled", data=invoice_payload(invoice))
        money_moved(dates=[invoice.date])
    return invoice


def invoice_delete(*, invoice: Invoice) -> None:
    """Deletes a draft. An issued invoice is never deleted (409), so its number never
    vanishes: cancel it or issue a credit note."""
    with atomic():
        invoice = _invoice_lock(invoice)
        if invoice.is_issued:
            raise ConflictError(
                "Only draft invoices can be deleted; cancel an issued invoice or issue a "
                "credit note instead."
            )
        books_assert_open(invoice.date)
        pk, before = invoice.pk, _state(invoice, invoice.items.all())
        invoice.delete()
        audit_record(
            action="invoice.deleted",
            resource="invoice",
            resource_id=pk,
            changes=diff_fields(before, {}),
        )
        money_moved(dates=[before["date"]])


# --- payments ------------------------------------------------------------------------------


def payment_record(
    *,
    invoice: Invoice,
    amount: Decimal,
    account: Account | None = None,
    date: date | None = None,
    method: str = PaymentMethod.BANK_TRANSFER,
    note: str = "",
    source: str = PaymentSource.ACCOUNT,
    external_reference: str = "",
    receipt: bool = True,
) -> Payment:
    """Records a payment against an issued invoice: money received on `account` (one Income
    transaction, linked to the payment), or (`source = credit`, no account) taken from the
    customer's credit balance (400 on `amount` if it is short; no transaction: no money
    moves). With the invoice row locked, amount paid, balance due and status are recomputed,
    so concurrent payments can never overpay. More than the balance due is a 400 on `amount`;
    a Draft or Cancelled invoice a 409; a payment date in closed books a 409. Announces
    `payment.received`, `invoice.updated`, and `invoice.paid` when it becomes Paid, and queues
    the customer's receipt (billing.receipts.payment_receipt_queue) in the same transaction,
    unless `receipt` is false (demo data: nobody paid, nobody is told)."""
    amount = to_cents(amount)
    paid_on = date or timezone.localdate()
    business_dates_check(date=paid_on)
    if amount <= 0:
        raise DomainValidationError({"amount": AMOUNT_POSITIVE})
    if source not in PaymentSource.values:
        raise DomainValidationError({"source": "Source must be account or credit."})
    if source == PaymentSource.ACCOUNT and account is None:
        raise DomainValidationError({"account_id": "This field is required."})
    if source == PaymentSource.CREDIT and account is not None:
        raise DomainValidationError(
            {"account_id": "A payment from credit has no account: leave account_id out."}
        )
    with atomic():
        invoice = _invoice_lock(invoice)
        if invoice.status not in OPEN_INVOICE_STATUSES:
            raise ConflictError(f"A {invoice.status} invoice cannot receive payments.")
        _account_currency_check(invoice=invoice, account=account)
        if source == PaymentSource.CREDIT:
            _credit_currency_check(invoice=invoice, field="source")
        books_assert_open(paid_on)
        _figures_apply(invoice)
        balance = invoice.balance_due
        if balance <= 0:
            raise DomainValidationError({"amount": "This invoice is already paid in full."})
        if amount > balance:
            raise DomainValidationError(
                {"amount": f"Amount is more than the balance due ({balance})."}
            )
        before, before_status = snapshot(invoice), invoice.status
        txn = None
        if source == PaymentSource.CREDIT:
            customer_credit_adjust(customer=invoice.customer, amount=-amount, field="amount")
        else:
            txn = payment_transaction_create(
                account=account,
                amount=amount,
                date=paid_on,
                invoice_id=invoice.pk,
                exchange_rate=_rate_of_money(
                    currency=invoice.currency, on=paid_on, fallback=invoice.exchange_rate
                ),
                description=f"Payment for invoice {invoice.invoice_number}",
            )
        payment = Payment.objects.create(
            invoice=invoice,
            amount=amount,
            date=paid_on,
            source=source,
            account=account,
            method=method or PaymentMethod.BANK_TRANSFER,
            note=note or "",
            transaction=txn,
            external_reference=external_reference,
        )
        _figures_apply(invoice)
        invoice.save(update_fields=FIGURE_FIELDS)
        payment.invoice = invoice
        _audit_each(
            ("payment.received", payment, diff_fields({}, snapshot(payment))),
            ("invoice.updated", invoice, diff_fields(before, snapshot(invoice))),
        )
        event_publish(event_type="payment.received", data=payment_payload(payment))
        event_publish(event_type="invoice.updated", data=invoice_payload(invoice))
        if invoice.status == InvoiceStatus.PAID and before_status != InvoiceStatus.PAID:
            event_publish(event_type="invoice.paid", data=invoice_payload(invoice))
        money_moved(dates=sorted({invoice.date, paid_on}))
        if receipt:
            payment_receipt_queue(payment=payment)
    return payment


def payment_void(*, payment: Payment) -> Payment:
    """Voids a payment: its ledger transaction is voided (kept, excluded from balances and
    reports), or a credit payment's amount goes back to the customer's credit balance; the
    invoice's figures and status are recomputed under a lock on the invoice row (locks:
    invoice, then payment, then customer). A second void is a 409, and so is a payment or
    invoice dated in closed books. Announces `payment.voided` and `invoice.updated`."""
    with atomic():
        invoice = Invoice.objects.select_for_update().get(pk=payment.invoice_id)
        payment = (
            Payment.objects.select_for_update(of=("self",))
            .select_related("transaction")
            .get(pk=payment.pk)
        )
        if payment.voided_at is not None:
            raise ConflictError("This payment is already voided.")
        books_assert_open(payment.date, invoice.date)
        before_payment, before_invoice = snapshot(payment), snapshot(invoice)
        payment.voided_at = timezone.now()
        payment.save(update_fields=["voided_at"])
        if payment.source == PaymentSource.CREDIT:
            customer_credit_adjust(customer=invoice.customer, amount=payment.amount)
        else:
            payment_transaction_void(txn=payment.transaction)
        _figures_apply(invoice)
        invoice.save(update_fields=FIGURE_FIELDS)
        payment.invoice = invoice
        _audit_each(
            ("payment.voided", payment, diff_fields(before_payment, snapshot(payment))),
            ("invoice.updated", invoice, diff_fields(before_invoice, snapshot(invoice))),
        )
        event_publish(event_type="payment.voided", data=payment_payload(payment))
        event_publish(event_type="invoice.updated", data=invoice_payload(invoice))
        money_moved(dates=sorted({invoice.date, payment.date}))
    return payment


# --- credit notes --------------------------------------------------------------------------


def credit_note_create(
    *,
    invoice: Invoice,
    items: list[dict],
    reason: str,
    date: date | None = None,
    settlement: str | None = None,
    account: Account | None = None,
) -> CreditNote:
    """Issues a credit note `CN-YYYY-NNN` (own gapless sequence, year of its date) against an
    issued, non-cancelled invoice (else 409), its lines computed like an invoice's (no
    discount). Guarantees, under a lock on the invoice row:
    - an invoice's credit notes never total more than its amount (400 on `items`);
    - the credit first reduces what is still owed (`amount_credited`; balance due =
      amount − paid − credited, never below 0), and the status is recomputed;
    - the part exceeding what was owed is settled as `refund` (an Expense transaction on
      `account`, owned by the credit note) or `credit` (added to the customer's credit
      balance); none given when one is needed is a 400 on `settlement`.
    Dated in closed books: 409. Announces `credit_note.created` and `invoice.updated` (and
    `invoice.paid` if it became Paid)."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainValidationError({"reason": "This field is required."})
    on = date or timezone.localdate()
    business_dates_check(date=on)
    if settlement not in (None, "", *CreditNoteSettlement.values):
        raise DomainValidationError({"settlement": "Settlement must be refund or credit."})
    lines = lines_build(items=items)
    with atomic():
        invoice = _invoice_lock(invoice)
        if invoice.status not in OPEN_INVOICE_STATUSES:
            raise ConflictError(
                "A credit note needs an issued invoice that is not cancelled; "
                f"this invoice is {invoice.status}."
            )
        if on < invoice.date:
            raise DomainValidationError(
                {"date": f"A credit note cannot be dated before its invoice ({invoice.date})."}
            )
        books_assert_open(on)
        note = CreditNote(
            invoice=invoice,
            customer_id=invoice.customer_id,
            date=on,
            reason=reason,
            currency=invoice.currency,
            exchange_rate=invoice.exchange_rate,
            billing_details=invoice.billing_details,
        )
        totals_apply(note, lines)
        if note.total <= 0:
            raise DomainValidationError({"items": "A credit note must credit more than 0."})
        _figures_apply(invoice)
        left = invoice.total - invoice.amount_credited
        if note.total > left:
            raise DomainValidationError(
                {
                    "items": f"Credit notes cannot total more than the invoice's amount "
                    f"({invoice.total}); {left} is left to credit."
                }
            )
        excess = max(note.total - invoice.balance_due, ZERO)
        if excess > 0 and not settlement:
            raise DomainValidationError(
                {
                    "settlement": f"{excess} of this credit was already paid: settle it as "
                    "refund or credit."
                }
            )
        if excess > 0 and settlement == CreditNoteSettlement.REFUND and account is None:
            raise DomainValidationError(
                {"account_id": "A refund needs the account it is paid from."}
            )
        if excess > 0 and settlement == CreditNoteSettlement.REFUND:
            _account_currency_check(invoice=invoice, account=account)
        if excess > 0 and settlement == CreditNoteSettlement.CREDIT:
            _credit_currency_check(invoice=invoice, field="settlement")
        before, before_status = snapshot(invoice), invoice.status
        note.settlement = settlement if excess > 0 else ""
        note.settled_amount = excess
        note.credit_note_number = numbering.number_next(kind=numbering.CREDIT_NOTE, year=on.year)
        note.portal_token = portal_token_new()
        if note.settlement == CreditNoteSettlement.REFUND:
            note.account = account
            note.transaction = refund_transaction_create(
                account=account,
                amount=excess,
                date=on,
                invoice_id=invoice.pk,
                exchange_rate=_rate_of_money(
                    currency=invoice.currency, on=on, fallback=invoice.exchange_rate
                ),
                description=f"Refund: credit note {note.credit_note_number} "
                f"on {invoice.invoice_number}",
            )
        note.save()
        lines_store(note, lines)
        if note.settlement == CreditNoteSettlement.CREDIT:
            customer_credit_adjust(customer=invoice.customer, amount=excess)
        _figures_apply(invoice)
        invoice.save(update_fields=FIGURE_FIELDS)
        _audit_each(
            ("credit_note.created", note, diff_fields({}, _state(note, lines))),
            ("invoice.updated", invoice, diff_fields(before, snapshot(invoice))),
        )
        event_publish(event_type="credit_note.created", data=credit_note_payload(note))
        event_publish(event_type="invoice.updated", data=invoice_payload(invoice))
        if invoice.status == InvoiceStatus.PAID and before_status != InvoiceStatus.PAID:
            event_publish(event_type="invoice.paid", data=invoice_payload(invoice))
        money_moved(dates=sorted({invoice.date, on}))
    return note


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


def _quote_number_take(quote: Quote) -> None:
    """A quote takes its number when it first leaves Draft, like an invoice at issue."""
    if quote.quote_number is None and quote.status != QuoteStatus.DRAFT:
        quote.quote_number = numbering.number_next(kind=numbering.QUOTE, year=quote.date.year)
    if quote.quote_number is not None and not quote.portal_token:
        quote.portal_token = portal_token_new()


def quote_create(
    *,
    customer: Customer,
    items: list[dict],
    valid_until: date | None = None,
    date: date | None = None,
    discount: Decimal = ZERO,
    notes: str = "",
    status: str | None = None,
    currency: str | None = None,
    exchange_rate: Decimal | None = None,
) -> Quote:
    """Creates a quote with totals computed like an invoice's, in `currency` (default the
    customer's) at `exchange_rate` (default the latest rate on or before its date); a quote
    created in any status but Draft (the default) is numbered `QUO-YYYY-NNN` now, a draft when
    it leaves Draft. `date` defaults to today, or to `valid_until` when that is already past (a
    quote recorded after the fact, shown `Expired`: the reference's own example is such a
    quote); `valid_until` defaults to 30 days after the date. Announces `quote.created`."""
    issued = date or min(filter(None, [timezone.localdate(), valid_until]))
    business_dates_check(date=issued)  # before a default is derived from it
    valid = valid_until or issued + timedelta(days=QUOTE_VALIDITY_DAYS)
    _quote_dates_check(issued=issued, valid=valid)
    _quote_status_check(status)
    currency = currency_check(currency) or customer.currency or base_currency()
    rate = _rate(currency=currency, on=issued, given=exchange_rate)
    lines = lines_build(items=items)
    with atomic():
        quote = Quote(
            customer=customer,
            date=issued,
            valid_until=valid,
            discount=to_cents(discount or ZERO),
            notes=notes or "",
            status=status or QuoteStatus.DRAFT,
            currency=currency,
            exchange_rate=rate,
        )
        totals_apply(quote, lines)
        _quote_number_take(quote)
        quote.save()
        lines_store(quote, lines)
        _audit("quote.created", quote, diff_fields({}, _state(quote, lines)))
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
    currency: str | None = None,
    exchange_rate: Decimal | None = None,
) -> Quote:
    """Applies the arguments given (None: unchanged; `items` replaces all lines); a draft
    leaving Draft takes its number. A new currency or date takes the rate of that day unless
    `exchange_rate` is given. A converted quote is frozen (409). Announces `quote.updated`."""
    _quote_status_check(status)
    business_dates_check(date=date, valid_until=valid_until)
    currency_check(currency)
    lines = lines_build(items=items) if items is not None else None
    with atomic():
        quote = _quote_lock(quote)
        if quote.status == QuoteStatus.CONVERTED:
            raise ConflictError("A converted quote cannot be edited.")
        revision = revision_of(quote, lines=lines, discount=discount)
        before = _state(quote, revision.current)
        issued, valid = date or quote.date, valid_until or quote.valid_until
        _quote_dates_check(issued=issued, valid=valid)
        new_currency = currency or quote.currency
        if exchange_rate is not None or new_currency != quote.currency or issued != quote.date:
            quote.exchange_rate = _rate(currency=new_currency, on=issued, given=exchange_rate)
        quote.currency = new_currency
        quote.date, quote.valid_until = issued, valid
        if customer is not None:
            quote.customer = customer
        if status is not None:
            quote.status = status
        revision_apply(quote, revision, notes=notes)
        _quote_number_take(quote)
        quote.save()
        lines_store(quote, revision.lines, replace=True)
        after_lines = revision.lines if revision.lines is not None else revision.current
        _audit("quote.updated", quote, diff_fields(before, _state(quote, after_lines)))
        event_publish(event_type="quote.updated", data=quote_payload(quote))
    return quote


def quote_delete(*, quote: Quote) -> None:
    """Deletes a quote that has not been converted (a converted one documents where its
    invoice came from: 409)."""
    with atomic():
        quote = _quote_lock(quote)
        if quote.status == QuoteStatus.CONVERTED:
            raise ConflictError("A converted quote cannot be deleted.")
        pk, before = quote.pk, _state(quote, quote.items.all())
        quote.delete()
        audit_record(
            action="quote.deleted",
            resource="quote",
            resource_id=pk,
            changes=diff_fields(before, {}),
        )


def quote_convert(
    *, quote: Quote, date: date | None = None, due_date: date | None = None
) -> Invoice:
    """Turns a quote into an issued (Unpaid, numbered) invoice with the same customer, lines,
    discount and notes, exactly once: the quote row is locked, so two concurrent conversions
    cannot both succeed. A draft quote takes its number first. A Declined, Expired
    (valid_until passed) or already Converted quote is a 409. Announces `invoice.created`,
    `invoice.issued` and `quote.converted`."""
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
        lines = lines_build(items=lines_of(quote))
        invoice = _invoice_insert(
            customer=quote.customer,
            lines=lines,
            date=issued,
            due_date=due,
            discount=quote.discount,
            notes=quote.notes,
            status=None,
            currency=quote.currency,
            fallback_rate=quote.exchange_rate,
            audited=False,
        )
        before = snapshot(quote)
        quote.status = QuoteStatus.CONVERTED
        quote.invoice = invoice
        _quote_number_take(quote)
        quote.save(
            update_fields=["status", "invoice", "quote_number", "portal_token", "updated_at"]
        )
        _audit_each(
            _created_entry(invoice, lines),
            ("quote.converted", quote, diff_fields(before, snapshot(quote))),
        )
        event_publish(event_type="quote.converted", data=quote_payload(quote))
    return invoice


# --- portal links --------------------------------------------------------------------------

NO_PORTAL_LINK = "A draft has no portal link: issue it first."


def _portal_link_rotate(document, *, action: str, payload) -> None:
    """Gives `document` (locked by the caller) a new token: the old link answers 404 from
    the commit on. Audited by fingerprint only (the token is a secret)."""
    before = snapshot(document)
    document.portal_token = portal_token_new()
    document.save(update_fields=["portal_token", "updated_at"])
    _audit(action, document, diff_fields(before, snapshot(document)))
    event_publish(event_type=action.split(".")[0] + ".updated", data=payload(document))


def invoice_portal_link_rotate(*, invoice: Invoice) -> Invoice:
    """Replaces an issued invoice's portal token (the old link 404s). A draft: 409.
    Announces `invoice.updated` (its `portal_url` changed)."""
    with atomic():
        invoice = _invoice_lock(invoice)
        if invoice.status == InvoiceStatus.DRAFT:
            raise ConflictError(NO_PORTAL_LINK)
        _portal_link_rotate(invoice, action="invoice.portal_link_rotated", payload=invoice_payload)
    return invoice


def quote_portal_link_rotate(*, quote: Quote) -> Quote:
    """Replaces a numbered quote's portal token (the old link 404s). A draft: 409. Announces
    `quote.updated`."""
    with atomic():
        quote = _quote_lock(quote)
        if quote.status == QuoteStatus.DRAFT or quote.quote_number is None:
            raise ConflictError(NO_PORTAL_LINK)
        _portal_link_rotate(quote, action="quote.portal_link_rotated", payload=quote_payload)
    return quote


def credit_note_portal_link_rotate(*, credit_note: CreditNote) -> CreditNote:
    """Replaces a credit note's portal token (the old link 404s). Credit notes are issued when
    created, so every one has a link. Records the change in the audit trail (credit notes
    have no update event)."""
    with atomic():
        note = CreditNote.objects.select_for_update().get(pk=credit_note.pk)
        before = snapshot(note)
        note.portal_token = portal_token_new()
        note.save(update_fields=["portal_token"])
        _audit("credit_note.portal_link_rotated", note, diff_fields(before, snapshot(note)))
    return note


# --- the customer's answer to a quote (client portal) ----------------------------------------

ANSWERED = "This quote was already {status}."
SIGNER_NAME_MAX = 200


def _quote_answerable(quote: Quote) -> None:
    status = quote.effective_status()
    if status == QuoteStatus.SENT:
        return
    if status in (QuoteStatus.ACCEPTED, QuoteStatus.DECLINED, QuoteStatus.CONVERTED):
        raise ConflictError(ANSWERED.format(status=status.lower()))
    if status == QuoteStatus.EXPIRED:
        raise ConflictError(f"This quote expired on {quote.valid_until:%d %b %Y}.")
    raise ConflictError("This quote has not been sent yet.")


def quote_accept(*, quote: Quote, name: str, ip: str | None = None) -> Quote:
    """The customer accepts a sent quote: status Accepted, with when (`accepted_at`), the
    signer's name (`accepted_by`, required, at most 200 characters: 400 on `name`) and the
    client's address (`accepted_ip`). Only a Sent quote still valid today can be answered
    (under a lock on the quote, so two answers at once cannot both win); Accepted, Declined,
    Converted or Expired ones are a 409. Announces `quote.accepted`."""
    name = " ".join((name or "").split())
    if not name:
        raise DomainValidationError({"name": "Type your name to accept the quote."})
    if len(name) > SIGNER_NAME_MAX:
        raise DomainValidationError({"name": f"At most {SIGNER_NAME_MAX} characters."})
    with atomic():
        quote = _quote_lock(quote)
        _quote_answerable(quote)
        before = snapshot(quote)
        quote.status = QuoteStatus.ACCEPTED
        quote.accepted_at = timezone.now()
        quote.accepted_by = name
        quote.accepted_ip = ip or None
        quote.save(
            update_fields=["status", "accepted_at", "accepted_by", "accepted_ip", "updated_at"]
        )
        _audit("quote.accepted", quote, diff_fields(before, snapshot(quote)))
        event_publish(event_type="quote.accepted", data=quote_payload(quote))
    return quote


def quote_decline(*, quote: Quote, ip: str | None = None) -> Quote:
    """The customer declines a sent quote: status Declined, with `declined_at` and the
    client's address. Same refusals as `quote_accept`. Announces `quote.declined`."""
    with atomic():
        quote = _quote_lock(quote)
        _quote_answerable(quote)
        before = snapshot(quote)
        quote.status = QuoteStatus.DECLINED
        quote.declined_at = timezone.now()
        quote.declined_ip = ip or None
        quote.save(update_fields=["status", "declined_at", "declined_ip", "updated_at"])
        _audit("quote.declined", quote, diff_fields(before, snapshot(quote)))
        event_publish(event_type="quote.declined", data=quote_payload(quote))
    return quote


# --- money received online (Stripe Checkout; portal/stripe_checkout.py) ----------------------


def online_payment_record(
    *,
    invoice: Invoice,
    reference: str,
    amount: Decimal,
    currency: str,
    account: Account,
    provider: str = "stripe",
) -> tuple[OnlinePayment, bool]:
    """Records money received online for `invoice` exactly once per provider `reference` (a
    Stripe payment intent): returns the record and whether this call created it.

    Under a lock on the invoice row, a reference already recorded returns the first record
    and changes nothing, so a redelivered event, or two deliveries at once, pay once; the
    unique constraints on the reference (here and on `Payment.external_reference`) back that
    up. Up to the balance due becomes a payment (billing's `payment_record`: status, events,
    receipt), method card, on `account`; the rest, or all of it when the invoice owes nothing
    (paid meanwhile, or cancelled), is added to the customer's credit balance, with an Income
    transaction on `account` for it (the money did arrive there). A currency other than the
    invoice's is a 400 on `currency`."""
    amount = to_cents(amount)
    if amount <= 0:
        raise DomainValidationError({"amount": AMOUNT_POSITIVE})
    with atomic():
        invoice = _invoice_lock(invoice)
        existing = OnlinePayment.objects.filter(reference=reference).first()
        if existing is not None:
            return existing, False
        if currency.upper() != invoice.currency:
            raise DomainValidationError(
                {"currency": f"Paid in {currency.upper()}; the invoice is in {invoice.currency}."}
            )
        _figures_apply(invoice)
        owed = invoice.balance_due if invoice.status in OPEN_INVOICE_STATUSES else ZERO
        applied = min(amount, owed)
        payment = None
        if applied > 0:
            payment = payment_record(
                invoice=invoice,
                amount=applied,
                account=account,
                method=PaymentMethod.CARD,
                note=f"Paid online ({provider})",
                external_reference=reference,
            )
        credited = amount - applied
        credit_txn = None
        if credited > 0:
            today = timezone.localdate()
            books_assert_open(today)
            credit_txn = payment_transaction_create(
                account=account,
                amount=credited,
                date=today,
                invoice_id=invoice.pk,
                exchange_rate=_rate_of_money(
                    currency=invoice.currency, on=today, fallback=invoice.exchange_rate
                ),
                description=f"Paid online above the balance of {invoice.invoice_number}: "
                "kept as customer credit",
            )
            customer_credit_adjust(customer=invoice.customer, amount=credited)
        record = OnlinePayment.objects.create(
            provider=provider,
            reference=reference,
            invoice=invoice,
            amount=amount,
            currency=currency.upper(),
            payment=payment,
            credited=credited,
            credit_transaction=credit_txn,
        )
        _audit(
            "online_payment.recorded",
            record,
            diff_fields({}, snapshot(record)),
        )
        if credit_txn is not None:
            money_moved(dates=[credit_txn.date])
    return record, True
