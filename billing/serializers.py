"""Input and output shapes of products, invoices, payments, credit notes and quotes.

Input serializers only validate and resolve ids (`customer_id`, `product_id`, `account_id`) to
objects; the services in billing.services compute and write everything else.
"""

from decimal import Decimal

from django.utils import timezone
from rest_framework import serializers

from billing import portal_links
from billing.models import (
    CreditNote,
    CreditNoteSettlement,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PaymentSource,
    Product,
    ProductType,
    Quote,
    QuoteStatus,
    RecurringFrequency,
    RecurringInvoice,
)
from billing.selectors import PREFETCHED_LINES
from core.currencies import CurrencyField, ExchangeRateField
from core.fields import BusinessDateField, EmailField, IdField, MoneyField, PositiveMoneyField
from core.serializers import ModelSerializer, Serializer
from customers.models import Customer
from ledger.models import Account

# Lines per invoice or quote: bounds what one request (and its PDF) costs (docs/performance.md).
MAX_ITEMS = 200
TOO_MANY_ITEMS = f"A document has at most {MAX_ITEMS} lines."


class NumberField(serializers.DecimalField):
    """A quantity or a percentage: a JSON number, an integer when it is whole (`"qty": 1`,
    `"tax_rate": 10`), a decimal otherwise (`"qty": 1.5`)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("coerce_to_string", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)

    def to_representation(self, value):
        value = Decimal(value)
        return int(value) if value == value.to_integral_value() else value.normalize()


def percent_field(**kwargs) -> NumberField:
    return NumberField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal(0),
        max_value=Decimal(100),
        error_messages={
            "min_value": "Tax rate must be between 0 and 100.",
            "max_value": "Tax rate must be between 0 and 100.",
        },
        **kwargs,
    )


def non_negative_money(label: str, **kwargs) -> MoneyField:
    return MoneyField(
        min_value=Decimal(0),
        error_messages={
            "invalid": "Enter a valid amount.",
            "max_digits": "Amount is too large.",
            "max_whole_digits": "Amount is too large.",
            "min_value": f"{label} cannot be negative.",
        },
        **kwargs,
    )


def related_id(model, label: str, **kwargs) -> IdField:
    return IdField(
        queryset=model.objects.all(),
        error_messages={
            "does_not_exist": label + " {pk_value} does not exist.",
            "incorrect_type": f"{label} id must be a whole number.",
            "required": "This field is required.",
            "null": "This field is required.",
        },
        **kwargs,
    )


# --- products ------------------------------------------------------------------------------


class ProductSerializer(ModelSerializer):
    price = non_negative_money("Price")
    type = serializers.ChoiceField(choices=ProductType.choices, default=ProductType.SERVICE)
    tax_rate = percent_field(default=Decimal(0))
    description = serializers.CharField(required=False, allow_blank=True, default="")

    class Meta:
        model = Product
        fields = [
            "id",
            "name",
            "price",
            "description",
            "type",
            "tax_rate",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]


# --- line items ----------------------------------------------------------------------------


class LineItemInputSerializer(Serializer):
    """`description`, `amount` (unit price) and `tax_rate` may be left out when `product_id`
    is given: the product's name, price and tax rate fill them in."""

    product_id = related_id(Product, "Product", source="product", required=False, allow_null=True)
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)
    amount = PositiveMoneyField(required=False)
    qty = NumberField(
        max_digits=12,
        decimal_places=2,
        required=False,
        min_value=Decimal("0.01"),
        error_messages={"min_value": "Quantity must be greater than 0."},
    )
    tax_rate = percent_field(required=False, allow_null=True)


class LinesListSerializer(serializers.ListSerializer):
    """A document's lines: the list billing.selectors prefetched, when there is one, else the
    document's `items`."""

    def get_attribute(self, instance):
        if self.source == "items":
            prefetched = instance.__dict__.get(PREFETCHED_LINES)
            if prefetched is not None:
                return prefetched
        return super().get_attribute(instance)


class LineItemSerializer(Serializer):
    class Meta:
        list_serializer_class = LinesListSerializer

    id = serializers.IntegerField(read_only=True)
    product_id = serializers.IntegerField(read_only=True, allow_null=True)
    description = serializers.CharField(read_only=True)
    amount = MoneyField(read_only=True)
    qty = NumberField(max_digits=12, decimal_places=2, read_only=True)
    tax_rate = NumberField(max_digits=5, decimal_places=2, read_only=True)
    subtotal = MoneyField(source="line_subtotal", read_only=True)
    # The line's share of the document's discount; `tax` is charged on subtotal − discount.
    discount = MoneyField(source="line_discount", read_only=True)
    tax = MoneyField(source="line_tax", read_only=True)
    total = MoneyField(source="line_total", read_only=True)


# --- invoices ------------------------------------------------------------------------------


class BillingDetailsField(serializers.JSONField):
    """The snapshot taken at issue; null on a draft (nothing snapshotted yet)."""

    def to_representation(self, value):
        return value or None


class InvoiceSerializer(ModelSerializer):
    """The invoice as the API shows it; `amount` is the total."""

    customer_id = serializers.IntegerField(read_only=True)
    items = LineItemSerializer(many=True, read_only=True)
    subtotal = MoneyField(read_only=True)
    discount = MoneyField(read_only=True)
    tax = MoneyField(read_only=True)
    amount = MoneyField(source="total", read_only=True)
    amount_paid = MoneyField(read_only=True)
    amount_credited = MoneyField(read_only=True)
    balance_due = MoneyField(read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)
    days_overdue = serializers.SerializerMethodField()
    billing_details = BillingDetailsField(read_only=True)
    # The schedule that issued it (contract section 11); null on invoices made by hand.
    recurring_invoice_id = serializers.IntegerField(read_only=True, allow_null=True)
    exchange_rate = ExchangeRateField(read_only=True)
    portal_url = serializers.SerializerMethodField()

    class Meta:
        model = Invoice
        fields = [
            "id",
            "invoice_number",
            "customer_id",
            "date",
            "due_date",
            "status",
            "currency",
            "exchange_rate",
            "items",
            "subtotal",
            "discount",
            "tax",
            "amount",
            "amount_paid",
            "amount_credited",
            "balance_due",
            "is_overdue",
            "days_overdue",
            "billing_details",
            "notes",
            "recurring_invoice_id",
            "sent_at",
            "issued_at",
            "cancelled_at",
            "cancel_reason",
            "portal_url",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_days_overdue(self, invoice: Invoice) -> int:
        return invoice.days_overdue()

    def get_portal_url(self, invoice: Invoice) -> str | None:
        """The customer's link to the invoice on the client portal; null on a draft."""
        return portal_links.portal_url(invoice) if invoice.is_issued else None


class InvoiceInputSerializer(Serializer):
    customer_id = related_id(Customer, "Customer", source="customer")
    date = BusinessDateField(required=False)
    due_date = BusinessDateField(required=False)
    items = LineItemInputSerializer(
        many=True,
        allow_empty=False,
        max_length=MAX_ITEMS,
        error_messages={"max_length": TOO_MANY_ITEMS},
    )
    discount = non_negative_money("Discount", required=False)
    notes = serializers.CharField(required=False, allow_blank=True)
    # On create: "Draft" for a draft, left out (or "Unpaid") to issue at once. On update only
    # the current status is accepted: issue and cancel have their own endpoints.
    status = serializers.ChoiceField(choices=InvoiceStatus.choices, required=False)
    # Left out: the customer's currency, and the latest rate on or before the date.
    currency = CurrencyField(required=False)
    exchange_rate = ExchangeRateField(required=False)


class InvoiceCancelSerializer(Serializer):
    reason = serializers.CharField(
        max_length=1000, error_messages={"blank": "This field is required."}
    )


# --- payments ------------------------------------------------------------------------------


class InvoiceStateSerializer(ModelSerializer):
    amount = MoneyField(source="total", read_only=True)
    amount_paid = MoneyField(read_only=True)
    amount_credited = MoneyField(read_only=True)
    balance_due = MoneyField(read_only=True)

    class Meta:
        model = Invoice
        fields = [
            "id",
            "invoice_number",
            "status",
            "amount",
            "amount_paid",
            "amount_credited",
            "balance_due",
        ]
        read_only_fields = fields


class PaymentSerializer(ModelSerializer):
    invoice_id = serializers.IntegerField(read_only=True)
    account_id = serializers.IntegerField(read_only=True, allow_null=True)
    transaction_id = serializers.IntegerField(read_only=True, allow_null=True)
    amount = MoneyField(read_only=True)
    invoice = InvoiceStateSerializer(read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "invoice_id",
            "amount",
            "date",
            "source",
            "account_id",
            "method",
            "note",
            "transaction_id",
            "voided_at",
            "created_at",
            "invoice",
        ]
        read_only_fields = fields


class PaymentInputSerializer(Serializer):
    """`account_id` is required for money received (`source` "account", the default) and
    left out for a payment from the customer's credit balance (`source` "credit"); the
    service enforces both."""

    amount = PositiveMoneyField()
    date = BusinessDateField(required=False, default=timezone.localdate)
    source = serializers.ChoiceField(
        choices=PaymentSource.choices, required=False, default=PaymentSource.ACCOUNT
    )
    account_id = related_id(
        Account, "Account", source="account", required=False, allow_null=True, default=None
    )
    method = serializers.ChoiceField(
        choices=PaymentMethod.choices, required=False, default=PaymentMethod.BANK_TRANSFER
    )
    note = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


# --- credit notes --------------------------------------------------------------------------


class CreditNoteSerializer(ModelSerializer):
    invoice_id = serializers.IntegerField(read_only=True)
    customer_id = serializers.IntegerField(read_only=True)
    items = LineItemSerializer(many=True, read_only=True)
    subtotal = MoneyField(read_only=True)
    tax = MoneyField(read_only=True)
    amount = MoneyField(source="total", read_only=True)
    settlement = serializers.SerializerMethodField()
    settled_amount = MoneyField(read_only=True)
    account_id = serializers.IntegerField(read_only=True, allow_null=True)
    transaction_id = serializers.IntegerField(read_only=True, allow_null=True)
    exchange_rate = ExchangeRateField(read_only=True)
    portal_url = serializers.SerializerMethodField()

    class Meta:
        model = CreditNote
        fields = [
            "id",
            "credit_note_number",
            "invoice_id",
            "customer_id",
            "date",
            "reason",
            "currency",
            "exchange_rate",
            "items",
            "subtotal",
            "tax",
            "amount",
            "settlement",
            "settled_amount",
            "account_id",
            "transaction_id",
            "portal_url",
            "created_at",
        ]
        read_only_fields = fields

    def get_settlement(self, note: CreditNote) -> str | None:
        return note.settlement or None

    def get_portal_url(self, note: CreditNote) -> str | None:
        """The customer's link to the credit note on the client portal."""
        return portal_links.portal_url(note)


class CreditNoteInputSerializer(Serializer):
    invoice_id = related_id(Invoice, "Invoice", source="invoice")
    items = LineItemInputSerializer(many=True, allow_empty=False, max_length=MAX_ITEMS)
    reason = serializers.CharField(
        max_length=1000, error_messages={"blank": "This field is required."}
    )
    date = BusinessDateField(required=False)
    # Optional, never null (contract section 8): left out when nothing needs settling.
    settlement = serializers.ChoiceField(choices=CreditNoteSettlement.choices, required=False)
    account_id = related_id(Account, "Account", source="account", required=False, allow_null=True)


# --- quotes --------------------------------------------------------------------------------


class QuoteSerializer(ModelSerializer):
    """`status` is the effective one: an open quote past `valid_until` shows `Expired`."""

    customer_id = serializers.IntegerField(read_only=True)
    invoice_id = serializers.IntegerField(read_only=True, allow_null=True)
    status = serializers.SerializerMethodField()
    items = LineItemSerializer(many=True, read_only=True)
    subtotal = MoneyField(read_only=True)
    discount = MoneyField(read_only=True)
    tax = MoneyField(read_only=True)
    amount = MoneyField(source="total", read_only=True)
    exchange_rate = ExchangeRateField(read_only=True)
    portal_url = serializers.SerializerMethodField()

    class Meta:
        model = Quote
        fields = [
            "id",
            "quote_number",
            "customer_id",
            "date",
            "valid_until",
            "status",
            "currency",
            "exchange_rate",
            "items",
            "subtotal",
            "discount",
            "tax",
            "amount",
            "notes",
            "invoice_id",
            "sent_at",
            "accepted_at",
            "accepted_by",
            "declined_at",
            "portal_url",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_status(self, quote: Quote) -> str:
        return quote.effective_status()

    def get_portal_url(self, quote: Quote) -> str | None:
        """The customer's link to the quote on the client portal (where it is accepted or
        declined); null on a draft."""
        if quote.status == QuoteStatus.DRAFT:
            return None
        return portal_links.portal_url(quote)


class QuoteInputSerializer(Serializer):
    customer_id = related_id(Customer, "Customer", source="customer")
    date = BusinessDateField(required=False)
    valid_until = BusinessDateField(required=False)
    items = LineItemInputSerializer(
        many=True,
        allow_empty=False,
        max_length=MAX_ITEMS,
        error_messages={"max_length": TOO_MANY_ITEMS},
    )
    discount = non_negative_money("Discount", required=False)
    notes = serializers.CharField(required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=QuoteStatus.choices, required=False)
    currency = CurrencyField(required=False)
    exchange_rate = ExchangeRateField(required=False)


class QuoteConvertSerializer(Serializer):
    date = BusinessDateField(required=False)
    due_date = BusinessDateField(required=False)


# --- recurring invoices ---------------------------------------------------------------------


class RecurringInvoiceSerializer(ModelSerializer):
    """A schedule as the API shows it; `amount` is what each invoice it issues comes to."""

    customer_id = serializers.IntegerField(read_only=True)
    items = LineItemSerializer(many=True, read_only=True)
    subtotal = MoneyField(read_only=True)
    discount = MoneyField(read_only=True)
    tax = MoneyField(read_only=True)
    amount = MoneyField(source="total", read_only=True)
    last_invoice_id = serializers.IntegerField(read_only=True, allow_null=True)
    exchange_rate = ExchangeRateField(read_only=True, allow_null=True)

    class Meta:
        model = RecurringInvoice
        fields = [
            "id",
            "customer_id",
            "frequency",
            "interval",
            "start_date",
            "end_date",
            "due_days",
            "auto_send",
            "currency",
            "exchange_rate",
            "items",
            "subtotal",
            "discount",
            "tax",
            "amount",
            "notes",
            "status",
            "next_date",
            "invoices_count",
            "last_invoice_id",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class InvoicePreviewSerializer(InvoiceSerializer):
    """An unsaved invoice (`GET /recurring-invoices/{id}/preview`): its lines are not rows yet."""

    items = LineItemSerializer(source="preview_items", many=True, read_only=True)


class RecurringInvoiceInputSerializer(Serializer):
    """`status`, `next_date`, `invoices_count` and `last_invoice_id` are read-only: pause and
    resume have their own endpoints, and the generator moves the rest."""

    customer_id = related_id(Customer, "Customer", source="customer")
    items = LineItemInputSerializer(
        many=True,
        allow_empty=False,
        max_length=MAX_ITEMS,
        error_messages={"max_length": TOO_MANY_ITEMS},
    )
    frequency = serializers.ChoiceField(
        choices=RecurringFrequency.choices,
        error_messages={
            "invalid_choice": "Frequency must be weekly, monthly, quarterly or yearly."
        },
    )
    interval = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=100,
        error_messages={
            "min_value": "Interval must be a whole number from 1 to 100.",
            "max_value": "Interval must be a whole number from 1 to 100.",
            "invalid": "Interval must be a whole number from 1 to 100.",
        },
    )
    start_date = BusinessDateField()
    end_date = BusinessDateField(required=False, allow_null=True)
    due_days = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=365,
        error_messages={
            "min_value": "Due days must be a whole number from 0 to 365.",
            "max_value": "Due days must be a whole number from 0 to 365.",
            "invalid": "Due days must be a whole number from 0 to 365.",
        },
    )
    auto_send = serializers.BooleanField(required=False)
    discount = non_negative_money("Discount", required=False)
    notes = serializers.CharField(required=False, allow_blank=True)
    currency = CurrencyField(required=False)
    exchange_rate = ExchangeRateField(required=False)


# --- sending by email ------------------------------------------------------------------------

MAX_RECIPIENTS = 50


class DocumentSendSerializer(Serializer):
    """`POST /invoices/{id}/send`, `/quotes/{id}/send`: every field optional. No `to` (or an
    empty one): the customer's email."""

    to = serializers.ListField(
        child=EmailField(), required=False, max_length=MAX_RECIPIENTS, allow_empty=True
    )
    cc = serializers.ListField(
        child=EmailField(), required=False, max_length=MAX_RECIPIENTS, allow_empty=True
    )
    subject = serializers.CharField(required=False, allow_blank=True, max_length=500)
    message = serializers.CharField(required=False, allow_blank=True, max_length=5000)
