import django_filters
from django.db.models import Q
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from billing.models import (
    OPEN_INVOICE_STATUSES,
    OPEN_QUOTE_STATUSES,
    CreditNote,
    Invoice,
    InvoiceStatus,
    Product,
    ProductType,
    Quote,
    QuoteStatus,
    RecurringFrequency,
    RecurringInvoice,
    RecurringStatus,
)
from core.filters import (
    BusinessDateFilter,
    FilterSet,
    IdFilter,
    StrictBooleanFilter,
    UtcDateTimeFilter,
)


class ProductFilter(FilterSet):
    type = django_filters.ChoiceFilter(choices=ProductType.choices)
    updated_since = UtcDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Product
        fields = ["type"]


class InvoiceFilter(FilterSet):
    """`date_from`/`date_to` are inclusive and filter on the invoice date."""

    status = django_filters.ChoiceFilter(choices=InvoiceStatus.choices)
    customer_id = IdFilter(field_name="customer_id")
    date_from = BusinessDateFilter(field_name="date", lookup_expr="gte")
    date_to = BusinessDateFilter(field_name="date", lookup_expr="lte")
    updated_since = UtcDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    overdue = StrictBooleanFilter(method="filter_overdue")
    recurring_invoice_id = IdFilter(field_name="recurring_invoice_id")

    class Meta:
        model = Invoice
        fields = ["status", "customer_id"]

    @extend_schema_field(OpenApiTypes.BOOL)
    def filter_overdue(self, queryset, name, value):
        # The same rule as Invoice.days_overdue: issued, in force, something due, past due.
        overdue = Q(
            status__in=OPEN_INVOICE_STATUSES,
            balance_due__gt=0,
            due_date__lt=timezone.localdate(),
        )
        if value is None:
            return queryset
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


class CreditNoteFilter(FilterSet):
    invoice_id = django_filters.NumberFilter(field_name="invoice_id")
    customer_id = django_filters.NumberFilter(field_name="customer_id")
    date_from = BusinessDateFilter(field_name="date", lookup_expr="gte")
    date_to = BusinessDateFilter(field_name="date", lookup_expr="lte")

    class Meta:
        model = CreditNote
        fields = ["invoice_id", "customer_id"]


class QuoteFilter(FilterSet):
    """`status` matches the effective status: `Expired` finds open quotes past valid_until,
    and `Draft`/`Sent`/`Accepted` only those still valid."""

    status = django_filters.ChoiceFilter(choices=QuoteStatus.choices, method="filter_status")
    customer_id = IdFilter(field_name="customer_id")
    date_from = BusinessDateFilter(field_name="date", lookup_expr="gte")
    date_to = BusinessDateFilter(field_name="date", lookup_expr="lte")
    updated_since = UtcDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Quote
        fields = ["status", "customer_id"]

    def filter_status(self, queryset, name, value):
        today = timezone.localdate()
        if value == QuoteStatus.EXPIRED:
            return queryset.filter(status__in=OPEN_QUOTE_STATUSES, valid_until__lt=today)
        if value in OPEN_QUOTE_STATUSES:
            return queryset.filter(status=value, valid_until__gte=today)
        return queryset.filter(status=value)


class RecurringInvoiceFilter(FilterSet):
    status = django_filters.ChoiceFilter(choices=RecurringStatus.choices)
    frequency = django_filters.ChoiceFilter(choices=RecurringFrequency.choices)
    customer_id = IdFilter(field_name="customer_id")
    updated_since = UtcDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = RecurringInvoice
        fields = ["status", "frequency", "customer_id"]
