import django_filters

from core.filters import BusinessDateFilter, FilterSet, IdFilter, UtcDateTimeFilter
from ledger.models import Account, Category, ExchangeRate, Transaction, TransactionType


class TransactionFilter(FilterSet):
    type = django_filters.ChoiceFilter(choices=TransactionType.choices)
    account_id = IdFilter(field_name="account_id")
    category_id = IdFilter(field_name="category_id")
    # Inclusive on both ends (contract section 3).
    date_from = BusinessDateFilter(field_name="date", lookup_expr="gte")
    date_to = BusinessDateFilter(field_name="date", lookup_expr="lte")
    updated_since = UtcDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Transaction
        fields = ["type", "account_id", "category_id"]


class AccountFilter(FilterSet):
    currency = django_filters.CharFilter(field_name="currency", lookup_expr="exact")

    class Meta:
        model = Account
        fields = ["currency"]


class CategoryFilter(FilterSet):
    type = django_filters.ChoiceFilter(
        choices=[(TransactionType.INCOME, "Income"), (TransactionType.EXPENSE, "Expense")]
    )

    class Meta:
        model = Category
        fields = ["type"]


class ExchangeRateFilter(FilterSet):
    currency = django_filters.CharFilter(field_name="currency", lookup_expr="exact")
    # Inclusive on both ends (contract section 3).
    date_from = BusinessDateFilter(field_name="date", lookup_expr="gte")
    date_to = BusinessDateFilter(field_name="date", lookup_expr="lte")

    class Meta:
        model = ExchangeRate
        fields = ["currency"]
