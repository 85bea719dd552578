"""Products, invoices, payments and quotes.

Every money column is `DecimalField(14, 2)` and every derived one (line amounts, subtotal, tax,
total, amount paid, balance due, invoice status) is written only by `billing.services`, which
recompute them from their stored parts. Models hold no business rules beyond constraints.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

MONEY = {"max_digits": 14, "decimal_places": 2}
# Base-currency units per one unit of the document's currency (contract section 13).
RATE = {"max_digits": 18, "decimal_places": 6}


def base_currency() -> str:
    """The currency a document gets when none is given (contract section 13's BASE_CURRENCY)."""
    return getattr(settings, "BASE_CURRENCY", "USD")


class ProductType(models.TextChoices):
    PRODUCT = "product", "Product"
    SERVICE = "service", "Service"


class Product(models.Model):
    name = models.CharField(max_length=200)
    price = models.DecimalField(**MONEY, default=0)
    description = models.TextField(blank=True)
    type = models.CharField(max_length=10, choices=ProductType.choices, default="service")
    # A percentage: 10 means 10 %.
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["name"], name="product_name_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="product_price_not_negative"),
            models.CheckConstraint(
                condition=Q(tax_rate__gte=0, tax_rate__lte=100), name="product_tax_rate_percent"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class DocumentCounter(models.Model):
    """The last number handed out per document kind (`INV`, `QUO`, `CN`) and year. The row is locked
    with `select_for_update` by the transaction that creates the document, so numbers are
    gapless and unique (billing.numbering)."""

    kind = models.CharField(max_length=3)
    year = models.PositiveIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "year"], name="document_counter_kind_year")
        ]

    def __str__(self) -> str:
        return f"{self.kind}-{self.year}: {self.last_number}"


class InvoiceStatus(models.TextChoices):
    DRAFT = "Draft", "Draft"
    UNPAID = "Unpaid", "Unpaid"
    PARTIALLY_PAID = "Partially Paid", "Partially Paid"
    PAID = "Paid", "Paid"
    CANCELLED = "Cancelled", "Cancelled"


# Issued invoices: numbered, frozen but for due date and notes, counted in reports.
ISSUED_INVOICE_STATUSES = (
    InvoiceStatus.UNPAID,
    InvoiceStatus.PARTIALLY_PAID,
    InvoiceStatus.PAID,
    InvoiceStatus.CANCELLED,
)
# Issued and still in force: what credit notes, payments, reports and aging work on.
OPEN_INVOICE_STATUSES = (InvoiceStatus.UNPAID, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID)


class Invoice(models.Model):
    """A draft (no number, editable, not owed) or an issued invoice (numbered at issue,
    frozen but for `due_date` and `notes`, its customer's billing details snapshotted in
    `billing_details`). docs/billing.md has the lifecycle."""

    # Null until issued: drafts use up no number (unique among issued invoices).
    invoice_number = models.CharField(  # noqa: DJ001 - null, not "", so drafts stay unique
        max_length=20, unique=True, null=True, blank=True, editable=False
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="invoices"
    )
    date = models.DateField(db_index=True)
    due_date = models.DateField()
    status = models.CharField(
        max_length=20, choices=InvoiceStatus.choices, default=InvoiceStatus.UNPAID
    )
    subtotal = models.DecimalField(**MONEY, default=0)
    discount = models.DecimalField(**MONEY, default=0)
    tax = models.DecimalField(**MONEY, default=0)
    total = models.DecimalField(**MONEY, default=0)
    amount_paid = models.DecimalField(**MONEY, default=0)
    amount_credited = models.DecimalField(**MONEY, default=0)
    balance_due = models.DecimalField(**MONEY, default=0)
    currency = models.CharField(max_length=3, default=base_currency)
    exchange_rate = models.DecimalField(**RATE, default=1)
    notes = models.TextField(blank=True)
    # When the invoice was last emailed to the customer (billing.sending.invoice_send).
    sent_at = models.DateTimeField(null=True, blank=True)
    # The customer's account, email and address as they were at issue ({} on a draft).
    billing_details = models.JSONField(default=dict, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(blank=True)
    # The schedule that issued it and the period it bills (billing.recurring); both null on
    # invoices made by hand. Unique together: one invoice per schedule and period, ever.
    recurring_invoice = models.ForeignKey(
        "RecurringInvoice",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invoices",
    )
    period_date = models.DateField(null=True, blank=True, editable=False)
    # The customer's link to the client portal (billing.portal_links): set at issue, replaced
    # when staff rotate it. Unique, so indexed: the portal finds a document by it.
    portal_token = models.CharField(  # noqa: DJ001 - null, not "", so drafts stay unique
        max_length=64, unique=True, null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    # Secrets the audit trail records by fingerprint only (audit.changes.snapshot).
    AUDIT_REDACTED_FIELDS = ("portal_token",)

    class Meta:
        ordering = ["-date", "-id"]
        indexes = [
            models.Index(fields=["status", "due_date"], name="invoice_status_due_idx"),
            models.Index(fields=["customer", "date"], name="invoice_customer_date_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recurring_invoice", "period_date"],
                name="invoice_once_per_recurring_period",
            ),
            models.CheckConstraint(
                condition=Q(due_date__gte=models.F("date")),
                name="invoice_due_after_date",
                violation_error_message="Due date cannot be before the invoice date.",
            ),
            models.CheckConstraint(condition=Q(discount__gte=0), name="invoice_discount_positive"),
            models.CheckConstraint(
                condition=Q(amount_paid__lte=models.F("total")), name="invoice_not_overpaid"
            ),
            models.CheckConstraint(
                condition=Q(balance_due__gte=0), name="invoice_balance_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(invoice_number__isnull=True) | ~Q(status=InvoiceStatus.DRAFT),
                name="invoice_draft_unnumbered",
            ),
        ]

    def __str__(self) -> str:
        return self.invoice_number or f"Draft invoice #{self.pk}"

    @property
    def is_issued(self) -> bool:
        return self.status != InvoiceStatus.DRAFT

    def days_overdue(self, today: datetime.date | None = None) -> int:
        """Days past the due date of an issued invoice with something still due; 0 otherwise."""
        today = today or timezone.localdate()
        if self.status not in OPEN_INVOICE_STATUSES or self.balance_due <= 0:
            return 0
        return max((today - self.due_date).days, 0)

    @property
    def is_overdue(self) -> bool:
        return self.days_overdue() > 0


class LineItem(models.Model):
    """One line of an invoice, a quote or a credit note. `amount` is the unit price;
    `line_subtotal` (qty × amount), `line_discount` (the line's share of the document's
    discount) and `line_tax` (on subtotal − discount) are each rounded half-up to the cent and
    stored, and the document's totals are sums of these stored parts (billing.totals)."""

    product = models.ForeignKey(
        Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    description = models.CharField(max_length=500)
    amount = models.DecimalField(**MONEY)
    qty = models.DecimalField(max_digits=12, decimal_places=2, default=1)
    tax_rate = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    line_subtotal = models.DecimalField(**MONEY, default=0)
    line_discount = models.DecimalField(**MONEY, default=0)
    line_tax = models.DecimalField(**MONEY, default=0)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.description

    @property
    def line_total(self):
        return self.line_subtotal - self.line_discount + self.line_tax

    @property
    def line_taxable(self):
        return self.line_subtotal - self.line_discount


class InvoiceItem(LineItem):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="items")

    class Meta(LineItem.Meta):
        constraints = [
            models.CheckConstraint(condition=Q(qty__gt=0), name="invoice_item_qty_positive"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="invoice_item_amount_positive"),
        ]


class PaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", "Bank transfer"
    CARD = "card", "Card"
    CASH = "cash", "Cash"
    CHECK = "check", "Check"
    OTHER = "other", "Other"


class PaymentSource(models.TextChoices):
    ACCOUNT = "account", "Money received on an account"
    CREDIT = "credit", "The customer's credit balance"


class PaymentQuerySet(models.QuerySet):
    def active(self):
        return self.filter(voided_at__isnull=True)


class Payment(models.Model):
    """Money received against an invoice, backed by one Income transaction in the ledger, or
    (`source = credit`) taken from the customer's credit balance, with no account and no
    transaction since no money moves. A voided payment is kept (with its voided transaction)
    for the audit trail; voiding a credit payment gives the credit back."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(**MONEY)
    date = models.DateField()
    source = models.CharField(
        max_length=10, choices=PaymentSource.choices, default=PaymentSource.ACCOUNT
    )
    account = models.ForeignKey(
        "ledger.Account",
        on_delete=models.PROTECT,
        related_name="payments",
        null=True,
        blank=True,
    )
    method = models.CharField(
        max_length=20, choices=PaymentMethod.choices, default=PaymentMethod.BANK_TRANSFER
    )
    note = models.CharField(max_length=255, blank=True)
    transaction = models.OneToOneField(
        "ledger.Transaction",
        on_delete=models.PROTECT,
        related_name="payment",
        null=True,
        blank=True,
    )
    voided_at = models.DateTimeField(null=True, blank=True)
    # The payment provider's id for money received online (a Stripe payment intent): one
    # payment per reference, however often the provider delivers its event.
    external_reference = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PaymentQuerySet.as_manager()

    class Meta:
        ordering = ["date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["external_reference"],
                condition=~Q(external_reference=""),
                name="payment_external_reference_unique",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(source="credit", account__isnull=True, transaction__isnull=True)
                | Q(source="account", account__isnull=False, transaction__isnull=False),
                name="payment_source_consistent",
            ),
        ]

    def __str__(self) -> str:
        # Inline formsets hand each payment its parent invoice, so this costs no query there.
        return f"{self.amount} on {self.date} for {self.invoice.invoice_number}"


class QuoteStatus(models.TextChoices):
    DRAFT = "Draft", "Draft"
    SENT = "Sent", "Sent"
    ACCEPTED = "Accepted", "Accepted"
    DECLINED = "Declined", "Declined"
    EXPIRED = "Expired", "Expired"
    CONVERTED = "Converted", "Converted"


# A quote still open on its `valid_until` day is valid through that day; the day after, it
# counts as Expired whatever its stored status says.
OPEN_QUOTE_STATUSES = (QuoteStatus.DRAFT, QuoteStatus.SENT, QuoteStatus.ACCEPTED)


class Quote(models.Model):
    """A draft quote has no number; it takes its `QUO-YYYY-NNN` when it leaves Draft (sent,
    answered or converted), like an invoice at issue. A converted quote is frozen."""

    quote_number = models.CharField(  # noqa: DJ001 - null, not "", so drafts stay unique
        max_length=20, unique=True, null=True, blank=True, editable=False
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="quotes"
    )
    date = models.DateField()
    valid_until = models.DateField()
    status = models.CharField(max_length=20, choices=QuoteStatus.choices, default=QuoteStatus.DRAFT)
    subtotal = models.DecimalField(**MONEY, default=0)
    discount = models.DecimalField(**MONEY, default=0)
    tax = models.DecimalField(**MONEY, default=0)
    total = models.DecimalField(**MONEY, default=0)
    currency = models.CharField(max_length=3, default=base_currency)
    exchange_rate = models.DecimalField(**RATE, default=1)
    notes = models.TextField(blank=True)
    invoice = models.OneToOneField(
        Invoice, on_delete=models.SET_NULL, null=True, blank=True, related_name="quote"
    )
    # When the quote was last emailed to the customer (billing.sending.quote_send).
    sent_at = models.DateTimeField(null=True, blank=True)
    # The customer's answer on the portal: when, the signer's name, and from which address.
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.CharField(max_length=200, blank=True)
    accepted_ip = models.GenericIPAddressField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    declined_ip = models.GenericIPAddressField(null=True, blank=True)
    # The portal link, set when the quote takes its number (billing.portal_links).
    portal_token = models.CharField(  # noqa: DJ001 - null, not "", so drafts stay unique
        max_length=64, unique=True, null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    AUDIT_REDACTED_FIELDS = ("portal_token",)

    class Meta:
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gte=models.F("date")),
                name="quote_valid_after_date",
                violation_error_message="Valid until cannot be before the quote date.",
            ),
            models.CheckConstraint(condition=Q(discount__gte=0), name="quote_discount_positive"),
        ]

    def __str__(self) -> str:
        return self.quote_number or f"Draft quote #{self.pk}"

    def effective_status(self, today: datetime.date | None = None) -> str:
        today = today or timezone.localdate()
        if self.status in OPEN_QUOTE_STATUSES and self.valid_until < today:
            return QuoteStatus.EXPIRED
        return self.status


class QuoteItem(LineItem):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="items")

    class Meta(LineItem.Meta):
        constraints = [
            models.CheckConstraint(condition=Q(qty__gt=0), name="quote_item_qty_positive"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="quote_item_amount_positive"),
        ]


class CreditNoteSettlement(models.TextChoices):
    REFUND = "refund", "Refund"
    CREDIT = "credit", "Customer credit"


class CreditNote(models.Model):
    """A correction of an issued invoice: numbered `CN-YYYY-NNN` (own gapless sequence),
    never edited or deleted. It first reduces what the invoice still owes; the part already
    paid (`settled_amount`) is refunded (an Expense transaction on `account`, owned by this
    credit note) or added to the customer's credit balance."""

    credit_note_number = models.CharField(max_length=20, unique=True, editable=False)
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="credit_notes"
    )
    date = models.DateField(db_index=True)
    reason = models.TextField()
    # Always its invoice's currency and rate.
    currency = models.CharField(max_length=3, default=base_currency)
    exchange_rate = models.DecimalField(**RATE, default=1)
    subtotal = models.DecimalField(**MONEY, default=0)
    tax = models.DecimalField(**MONEY, default=0)
    total = models.DecimalField(**MONEY, default=0)
    # How much of it exceeded what was still owed, and how that part was settled.
    settlement = models.CharField(max_length=10, choices=CreditNoteSettlement.choices, blank=True)
    settled_amount = models.DecimalField(**MONEY, default=0)
    account = models.ForeignKey(
        "ledger.Account", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    transaction = models.OneToOneField(
        "ledger.Transaction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_note",
    )
    # The customer's name and address as on the invoice it corrects.
    billing_details = models.JSONField(default=dict, blank=True)
    # The portal link, set when the credit note is issued (billing.portal_links).
    portal_token = models.CharField(  # noqa: DJ001 - null until issued, as on invoices
        max_length=64, unique=True, null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    AUDIT_REDACTED_FIELDS = ("portal_token",)

    class Meta:
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(total__gt=0), name="credit_note_total_positive"),
            models.CheckConstraint(
                condition=Q(settled_amount__gte=0, settled_amount__lte=models.F("total")),
                name="credit_note_settled_within_total",
            ),
        ]

    def __str__(self) -> str:
        return self.credit_note_number


class CreditNoteItem(LineItem):
    credit_note = models.ForeignKey(CreditNote, on_delete=models.CASCADE, related_name="items")

    class Meta(LineItem.Meta):
        constraints = [
            models.CheckConstraint(condition=Q(qty__gt=0), name="credit_note_item_qty_positive"),
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="credit_note_item_amount_positive"
            ),
        ]


class RecurringFrequency(models.TextChoices):
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"
    YEARLY = "yearly", "Yearly"


class RecurringStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    FINISHED = "finished", "Finished"


class RecurringInvoice(models.Model):
    """A schedule that issues one invoice per period (billing.recurring). Period n is dated
    `start_date + n × interval × frequency`, always counted from the start date (so a monthly
    schedule from the 31st comes back to the 31st after a short month). `next_period` is the
    n of the next invoice to issue and `next_date` its date (null once finished); both, with
    `invoices_count` and `last_invoice`, are written only by billing.recurring."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="recurring_invoices"
    )
    frequency = models.CharField(max_length=10, choices=RecurringFrequency.choices)
    interval = models.PositiveSmallIntegerField(default=1)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    due_days = models.PositiveSmallIntegerField(default=30)
    auto_send = models.BooleanField(default=False)
    currency = models.CharField(max_length=3, default=base_currency)
    # Null: each invoice takes the rate known on its own date (contract section 13).
    exchange_rate = models.DecimalField(**RATE, null=True, blank=True)
    subtotal = models.DecimalField(**MONEY, default=0)
    discount = models.DecimalField(**MONEY, default=0)
    tax = models.DecimalField(**MONEY, default=0)
    total = models.DecimalField(**MONEY, default=0)
    notes = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=RecurringStatus.choices, default=RecurringStatus.ACTIVE
    )
    next_period = models.PositiveIntegerField(default=0)
    next_date = models.DateField(null=True, blank=True)
    invoices_count = models.PositiveIntegerField(default=0)
    last_invoice = models.ForeignKey(
        Invoice, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "next_date"], name="recurring_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(interval__gte=1), name="recurring_interval_positive"
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="recurring_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(discount__gte=0), name="recurring_discount_positive"
            ),
            models.CheckConstraint(
                condition=Q(next_date__isnull=False) | Q(status="finished"),
                name="recurring_open_has_next_date",
            ),
        ]

    def __str__(self) -> str:
        return f"Recurring invoice #{self.pk} ({self.get_frequency_display().lower()})"


class RecurringInvoiceItem(LineItem):
    recurring_invoice = models.ForeignKey(
        RecurringInvoice, on_delete=models.CASCADE, related_name="items"
    )

    class Meta(LineItem.Meta):
        constraints = [
            models.CheckConstraint(condition=Q(qty__gt=0), name="recurring_item_qty_positive"),
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="recurring_item_amount_positive"
            ),
        ]


class RecurringRun(models.Model):
    """The generator's last successful run on this database (one row), for `/health`: a
    scheduler that stopped shows as stale instead of being found by a customer."""

    SINGLETON = 1

    finished_at = models.DateTimeField()
    on_date = models.DateField()
    issued = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"Recurring invoices run for {self.on_date} at {self.finished_at}"


class OnlinePayment(models.Model):
    """Money received online for an invoice (a Stripe Checkout payment), recorded once per
    provider reference (the payment intent) by billing.services.online_payment_record: the
    part up to the balance due became `payment`, the rest (`credited`) went to the customer's
    credit balance, with its own Income transaction (`credit_transaction`), since that money
    did arrive on the account."""

    provider = models.CharField(max_length=20, default="stripe")
    reference = models.CharField(max_length=255, unique=True)
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="online_payments")
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    payment = models.OneToOneField(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="online_payment"
    )
    credited = models.DecimalField(**MONEY, default=0)
    credit_transaction = models.OneToOneField(
        "ledger.Transaction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="online_payment_credit",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="online_payment_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.reference}"
