"""Writes for accounts, categories and transactions. Money changes are atomic, announce
`transaction.created`, and refresh the reporting roll-ups once the transaction commits."""

from datetime import date
from decimal import Decimal

from django.utils import timezone

from api.db import atomic
from ledger.models import Account, Category, Transaction, TransactionType
from reporting.hooks import rollups_refresh_on_commit


def transaction_payload(txn: Transaction) -> dict:
    from ledger.serializers import TransactionSerializer

    return TransactionSerializer(txn).data


def payment_transaction_create(
    *,
    account: Account,
    amount: Decimal,
    date: date,
    description: str = "",
    category: Category | None = None,
) -> Transaction:
    """The Income transaction behind an invoice payment. Must be called inside the payment's
    own `atomic()` block (billing.services.payment_record)."""
    txn = Transaction.objects.create(
        type=TransactionType.INCOME,
        account=account,
        amount=amount,
        date=date,
        description=description,
        category=category,
    )
    rollups_refresh_on_commit(dates=[date])
    return txn


def payment_transaction_void(*, txn: Transaction) -> Transaction:
    """Takes a voided payment's transaction out of balances and reports, keeping the row."""
    with atomic():
        txn.voided_at = timezone.now()
        txn.save(update_fields=["voided_at", "updated_at"])
        rollups_refresh_on_commit(dates=[txn.date])
    return txn
