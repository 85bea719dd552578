"""Input and output shapes of accounts, categories, transactions and transfers. Serializers
only validate shape; the ledger's rules (matching category type, payment-owned rows, ...)
live in `ledger.services`."""

from rest_framework import serializers

from core.currencies import CurrencyField, ExchangeRateField
from core.fields import BusinessDateField, IdField, MoneyField, PositiveMoneyField
from core.serializers import ModelSerializer, Serializer
from ledger.models import (
    Account,
    Category,
    CategoryType,
    ExchangeRate,
    Transaction,
    TransactionType,
)


def _related(queryset, label: str) -> IdField:
    return IdField(
        queryset=queryset,
        error_messages={
            "does_not_exist": f"{label} not found.",
            "incorrect_type": f"{label} id must be a number.",
            "required": "This field is required.",
            "null": "This field is required.",
        },
    )


class AccountSerializer(ModelSerializer):
    name = serializers.CharField(max_length=100)
    currency = CurrencyField(required=False)
    opening_balance = MoneyField(required=False)
    # Annotated by ledger.selectors.account_list().
    balance = MoneyField(read_only=True)

    class Meta:
        model = Account
        fields = [
            "id",
            "name",
            "currency",
            "opening_balance",
            "balance",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "balance", "created_at", "updated_at"]


class CategorySerializer(ModelSerializer):
    name = serializers.CharField(max_length=100)
    type = serializers.ChoiceField(
        choices=CategoryType.choices,
        error_messages={"invalid_choice": "Type must be Income or Expense."},
    )

    class Meta:
        model = Category
        fields = ["id", "name", "type", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]
        # (name, type) uniqueness is the service's rule, with the contract's wording.
        validators: list = []


class TransactionSerializer(ModelSerializer):
    """A transaction as the API shows it (and as `transaction.*` events carry it)."""

    account_id = serializers.IntegerField(read_only=True)
    category_id = serializers.IntegerField(read_only=True, allow_null=True)
    amount = MoneyField(read_only=True)
    exchange_rate = ExchangeRateField(read_only=True, allow_null=True)
    invoice_id = serializers.IntegerField(read_only=True, allow_null=True)
    transfer_direction = serializers.SerializerMethodField()

    class Meta:
        model = Transaction
        fields = [
            "id",
            "type",
            "account_id",
            "amount",
            "exchange_rate",
            "category_id",
            "description",
            "date",
            "invoice_id",
            "transfer_group",
            "transfer_direction",
            "voided_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_transfer_direction(self, obj: Transaction) -> str | None:
        return obj.transfer_direction or None


class TransactionInputSerializer(Serializer):
    type = serializers.ChoiceField(
        choices=[TransactionType.INCOME, TransactionType.EXPENSE],
        error_messages={"invalid_choice": "Type must be Income or Expense."},
    )
    account_id = _related(Account.objects.all(), "Account")
    amount = PositiveMoneyField()
    category_id = _related(Category.objects.all(), "Category")
    description = serializers.CharField(max_length=255, required=False, allow_blank=True)
    date = BusinessDateField()
    # Left out: the rate of the account's currency on the date (1 for the base currency).
    exchange_rate = ExchangeRateField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A transaction may be uncategorised (a payment's usually is); omitted means none.
        self.fields["category_id"].required = False
        self.fields["category_id"].allow_null = True


class TransferInputSerializer(Serializer):
    from_account_id = _related(Account.objects.all(), "Account")
    to_account_id = _related(Account.objects.all(), "Account")
    amount = PositiveMoneyField()
    date = BusinessDateField()
    description = serializers.CharField(max_length=255, required=False, allow_blank=True)


class TransferSerializer(Serializer):
    """A transfer as the API shows it: the pair's shared fields and both legs."""

    transfer_group = serializers.UUIDField()
    from_account_id = serializers.IntegerField()
    to_account_id = serializers.IntegerField()
    amount = MoneyField()
    date = BusinessDateField()
    description = serializers.CharField()
    transactions = TransactionSerializer(many=True)


class ExchangeRateSerializer(ModelSerializer):
    """`rate`: base-currency units per one unit of `currency`, from `date` on."""

    currency = CurrencyField()
    date = BusinessDateField()
    rate = ExchangeRateField()

    class Meta:
        model = ExchangeRate
        fields = ["id", "currency", "date", "rate", "created_at"]
        read_only_fields = ["id", "created_at"]
        # (currency, date) uniqueness is the service's rule, with its own wording.
        validators: list = []
