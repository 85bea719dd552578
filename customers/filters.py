import django_filters

from core.filters import BusinessDateFilter, FilterSet, IdFilter, UtcDateTimeFilter
from customers.models import Customer, Lead, LeadStatus


class CustomerFilter(FilterSet):
    search = django_filters.CharFilter(
        method="search_filter",
        label="Words that must all appear in the account, email or phone (any case).",
    )
    email = django_filters.CharFilter(field_name="email", lookup_expr="iexact")
    country = django_filters.CharFilter(field_name="country", lookup_expr="iexact")
    updated_since = UtcDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    created_from = BusinessDateFilter(field_name="created_at", lookup_expr="date__gte")
    created_to = BusinessDateFilter(field_name="created_at", lookup_expr="date__lte")

    class Meta:
        model = Customer
        fields = ["email", "country"]

    def search_filter(self, queryset, name, value):
        for word in value.lower().split():
            queryset = queryset.filter(search_text__contains=word)
        return queryset


class LeadFilter(FilterSet):
    status = django_filters.ChoiceFilter(choices=LeadStatus.choices)
    source = django_filters.CharFilter(field_name="source", lookup_expr="iexact")
    email = django_filters.CharFilter(field_name="email", lookup_expr="iexact")
    customer_id = IdFilter(field_name="customer_id")
    updated_since = UtcDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    created_from = BusinessDateFilter(field_name="created_at", lookup_expr="date__gte")
    created_to = BusinessDateFilter(field_name="created_at", lookup_expr="date__lte")

    class Meta:
        model = Lead
        fields = ["status", "source", "email", "customer_id"]
