"""Reads for the ledger: annotated querysets whose query count never grows with the page size."""

from decimal import Decimal

from django.core.exceptions import FieldDoesNotExist
from django.db.models import (
    Case,
    DecimalField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from ledger.models import Account, Category, Transaction, TransactionType

# Sums over many rows need more digits than one stored amount (14).
SUM_FIELD = DecimalField(max_digits=20, decimal_places=2)

# Money flowing into an account: income and the receiving leg of a transfer.
INFLOW = Q(type=TransactionType.INCOME) | Q(type=TransactionType.TRANSFER, transfer_direction="in")


def payment_link_exists() -> bool:
    """Whether billing.Payment's reverse one-to-one (`Transaction.payment`) is installed. The
    ledger works without billing; payment-only rules switch on when it is there."""
    try:
        Transaction._meta.get_field("payment")
    except FieldDoesNotExist:
        return False
    return True


def account_balance_subquery() -> Subquery:
    """opening + income − expenses ± transfers is the opening balance plus this signed sum of
    the account's non-voided transactions."""
    signed = Case(
        When(INFLOW, then=F("amount")),
        default=-F("amount"),
        output_field=SUM_FIELD,
    )
    movements = (
        Transaction.objects.active()
        .filter(account=OuterRef("pk"))
        .order_by()
        .values("account")
        .annotate(total=Sum(signed))
        .values("total")
    )
    return Subquery(movements, output_field=SUM_FIELD)


def account_list() -> QuerySet[Account]:
    """Accounts with `balance` and `in_use` annotated: one query for any page size."""
    return Account.objects.annotate(
        balance=F("opening_balance") + Coalesce(account_balance_subquery(), Value(Decimal("0"))),
        in_use=Exists(Transaction.objects.filter(account=OuterRef("pk"))),
    )


def category_list() -> QuerySet[Category]:
    return Category.objects.annotate(
        in_use=Exists(Transaction.objects.filter(category=OuterRef("pk")))
    )


def transaction_list(*, include_voided: bool = False) -> QuerySet[Transaction]:
    """Transactions with `invoice_id` annotated from the payment that owns them (null when
    none, or when billing is not installed)."""
    queryset = Transaction.objects.all() if include_voided else Transaction.objects.active()
    if payment_link_exists():
        return queryset.annotate(invoice_id=F("payment__invoice_id"))
    return queryset.annotate(invoice_id=Value(None, output_field=IntegerField()))


def transaction_belongs_to_payment(txn: Transaction) -> bool:
    if not payment_link_exists():
        return False
    return Transaction.objects.filter(pk=txn.pk, payment__isnull=False).exists()
