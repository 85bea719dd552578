"""Reads for the ledger: annotated querysets whose query count never grows with the page size."""

from datetime import date
from decimal import Decimal

from django.db.models import (
    Case,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Round

from core.currencies import ONE, base_currency
from ledger.models import Account, Category, ExchangeRate, Transaction, TransactionType

# Sums over many rows need more digits than one stored amount (14).
SUM_FIELD = DecimalField(max_digits=20, decimal_places=2)

# Money flowing into an account: income and the receiving leg of a transfer.
INFLOW = Q(type=TransactionType.INCOME) | Q(type=TransactionType.TRANSFER, transfer_direction="in")


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
        # Rounded to the cent in SQL: SQLite adds in floating point and Django does not round
        # a computed column back when it reads it (832995.750000001 after a long property
        # test); on PostgreSQL the sum is exact and ROUND(…, 2) changes nothing.
        balance=Round(
            F("opening_balance") + Coalesce(account_balance_subquery(), Value(Decimal("0"))),
            2,
            output_field=SUM_FIELD,
        ),
        in_use=Exists(Transaction.objects.filter(account=OuterRef("pk"))),
    )


def category_list() -> QuerySet[Category]:
    return Category.objects.annotate(
        in_use=Exists(Transaction.objects.filter(category=OuterRef("pk")))
    )


def transaction_list(*, include_voided: bool = False) -> QuerySet[Transaction]:
    """Transactions that count (voided ones too for the admin's audit view)."""
    return Transaction.objects.all() if include_voided else Transaction.objects.active()


def exchange_rate_list() -> QuerySet[ExchangeRate]:
    return ExchangeRate.objects.all()


def exchange_rate_on(*, currency: str, on: date) -> Decimal | None:
    """Base units per one `currency` unit on `on`: 1 for the base currency, else the latest
    stored rate dated on or before it (None when none is)."""
    if currency == base_currency():
        return ONE
    return (
        ExchangeRate.objects.filter(currency=currency, date__lte=on)
        .order_by("-date")
        .values_list("rate", flat=True)
        .first()
    )
