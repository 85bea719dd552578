"""Writes for accounts, categories and transactions. Money changes are atomic, announce
`transaction.created` in the same database transaction (outbox), and refresh the reporting
roll-ups once the transaction commits."""

import uuid
from datetime import date
from decimal import Decimal

from django.db import IntegrityError
from django.utils import timezone

from core.db import atomic
from core.errors import ConflictError, DomainValidationError
from core.hooks import money_moved
from ledger.models import Account, Category, Transaction, TransactionType
from ledger.selectors import transaction_belongs_to_payment
from webhooks.services import event_publish

ACCOUNT_IN_USE = "This account has transactions and cannot be deleted."
CATEGORY_IN_USE = "This category is used by transactions and cannot be deleted."
CATEGORY_TAKEN = "A category with this name and type already exists."
PAYMENT_OWNED = (
    "This transaction belongs to an invoice payment: change or void it through the payment."
)
TRANSFER_LEG = "This transaction is one leg of a transfer: delete the transfer and record it again."
ACCOUNT_FIELDS = ("name", "currency", "opening_balance")
CATEGORY_FIELDS = ("name", "type")


def transaction_payload(txn: Transaction) -> dict:
    from ledger.serializers import TransactionSerializer

    return TransactionSerializer(txn).data


# --- Accounts ----------------------------------------------------------------------------------


def _account_in_use(account: Account) -> bool:
    return Transaction.objects.filter(account=account).exists()


def account_create(*, data: dict) -> Account:
    """Creates a money account. Its balance starts at `opening_balance`."""
    fields = {k: v for k, v in data.items() if k in ACCOUNT_FIELDS}
    with atomic():
        return Account.objects.create(**fields)


def account_update(*, account: Account, data: dict) -> Account:
    """Renames or re-opens an account. The currency of an account with transactions is fixed:
    changing it would silently re-denominate every amount already booked. A new opening
    balance moves the balance by the difference, and the roll-ups do not depend on it."""
    fields = {k: v for k, v in data.items() if k in ACCOUNT_FIELDS}
    with atomic():
        account = Account.objects.select_for_update().get(pk=account.pk)
        if (
            "currency" in fields
            and fields["currency"] != account.currency
            and _account_in_use(account)
        ):
            raise DomainValidationError(
                {"currency": "The currency of an account with transactions cannot change."}
            )
        for name, value in fields.items():
            setattr(account, name, value)
        account.save()
    return account


def account_delete(*, account: Account) -> None:
    """Deletes an account that never had a transaction (otherwise 409: history is kept)."""
    with atomic():
        if _account_in_use(account):
            raise ConflictError(ACCOUNT_IN_USE)
        account.delete()


# --- Categories --------------------------------------------------------------------------------


def _category_in_use(category: Category) -> bool:
    return Transaction.objects.filter(category=category).exists()


def _category_taken(name: str, type_: str, exclude_pk: int | None = None) -> bool:
    query = Category.objects.filter(name__iexact=name, type=type_)
    if exclude_pk is not None:
        query = query.exclude(pk=exclude_pk)
    return query.exists()


def category_create(*, data: dict) -> Category:
    """Creates a category, unique by (name, type) ignoring case."""
    fields = {k: v for k, v in data.items() if k in CATEGORY_FIELDS}
    try:
        with atomic():
            if _category_taken(fields["name"], fields["type"]):
                raise DomainValidationError({"name": CATEGORY_TAKEN})
            return Category.objects.create(**fields)
    except IntegrityError:
        raise DomainValidationError({"name": CATEGORY_TAKEN}) from None


def category_update(*, category: Category, data: dict) -> Category:
    """Renames a category. A category in use keeps its type: every transaction filed under
    it must keep matching it."""
    fields = {k: v for k, v in data.items() if k in CATEGORY_FIELDS}
    try:
        with atomic():
            category = Category.objects.select_for_update().get(pk=category.pk)
            new_type = fields.get("type", category.type)
            if new_type != category.type and _category_in_use(category):
                raise DomainValidationError(
                    {"type": "A category used by transactions cannot change type."}
                )
            if _category_taken(fields.get("name", category.name), new_type, category.pk):
                raise DomainValidationError({"name": CATEGORY_TAKEN})
            for name, value in fields.items():
                setattr(category, name, value)
            category.save()
    except IntegrityError:
        raise DomainValidationError({"name": CATEGORY_TAKEN}) from None
    return category


def category_delete(*, category: Category) -> None:
    """Deletes a category no transaction uses (otherwise 409)."""
    with atomic():
        if _category_in_use(category):
            raise ConflictError(CATEGORY_IN_USE)
        category.delete()


# --- Transactions ------------------------------------------------------------------------------


def _check_category(category: Category | None, type_: str) -> None:
    if category is not None and category.type != type_:
        raise DomainValidationError(
            {
                "category_id": f"The category is an {category.type} category; "
                f"a {type_} transaction needs an {type_} category."
            }
        )


def transaction_create(*, data: dict) -> Transaction:
    """Records an Income or Expense transaction whose category (if any) has the same type,
    announces `transaction.created` and refreshes that month's roll-ups after commit."""
    type_ = data["type"]
    if type_ not in (TransactionType.INCOME, TransactionType.EXPENSE):
        raise DomainValidationError({"type": "Type must be Income or Expense."})
    category = data.get("category_id")
    _check_category(category, type_)
    with atomic():
        txn = Transaction.objects.create(
            type=type_,
            account=data["account_id"],
            amount=data["amount"],
            category=category,
            description=data.get("description", ""),
            date=data["date"],
        )
        txn.invoice_id = None  # a fresh transaction belongs to no payment
        event_publish(event_type="transaction.created", data=transaction_payload(txn))
        money_moved(dates=[txn.date])
    return txn


def _lock_changeable(txn: Transaction) -> Transaction:
    locked = Transaction.objects.select_for_update().get(pk=txn.pk)
    if transaction_belongs_to_payment(locked):
        raise ConflictError(PAYMENT_OWNED)
    return locked


def transaction_update(*, txn: Transaction, data: dict) -> Transaction:
    """Changes an Income/Expense transaction (not a payment's, not a transfer leg: 409),
    keeping the category type rule and refreshing the roll-ups of both the old and the new
    month. Announces `transaction.updated`."""
    with atomic():
        txn = _lock_changeable(txn)
        if txn.type == TransactionType.TRANSFER:
            raise ConflictError(TRANSFER_LEG)
        old_date = txn.date
        type_ = data.get("type", txn.type)
        category = data["category_id"] if "category_id" in data else txn.category
        _check_category(category, type_)
        txn.type = type_
        txn.category = category
        if "account_id" in data:
            txn.account = data["account_id"]
        for name in ("amount", "description", "date"):
            if name in data:
                setattr(txn, name, data[name])
        txn.save()
        event_publish(event_type="transaction.updated", data=transaction_payload(txn))
        money_moved(dates=[old_date, txn.date])
    return txn


def transaction_delete(*, txn: Transaction) -> None:
    """Deletes a transaction (a transfer leg deletes the whole transfer). A payment's
    transaction is removed only by voiding the payment (409). Announces `transaction.deleted`
    for each row removed."""
    with atomic():
        txn = _lock_changeable(txn)
        if txn.type == TransactionType.TRANSFER and txn.transfer_group:
            legs = list(
                Transaction.objects.select_for_update()
                .filter(transfer_group=txn.transfer_group)
                .order_by("pk")
            )
        else:
            legs = [txn]
        payloads = [transaction_payload(leg) for leg in legs]
        for leg in legs:
            leg.delete()
        for payload in payloads:
            event_publish(event_type="transaction.deleted", data=payload)
        money_moved(dates=[leg.date for leg in legs])


def transfer_create(
    *,
    from_account: Account,
    to_account: Account,
    amount: Decimal,
    date: date,
    description: str = "",
) -> list[Transaction]:
    """Moves money between two accounts of the same currency: an `out` leg and an `in` leg
    sharing a `transfer_group`, both type Transfer, so balances move and income/expenses
    do not. Returns [out, in]."""
    if from_account.pk == to_account.pk:
        raise DomainValidationError({"to_account_id": "Choose two different accounts."})
    if from_account.currency != to_account.currency:
        raise DomainValidationError({"to_account_id": "Both accounts must use the same currency."})
    group = uuid.uuid4()
    with atomic():
        legs = Transaction.objects.bulk_create(
            [
                Transaction(
                    type=TransactionType.TRANSFER,
                    account=account,
                    amount=amount,
                    date=date,
                    description=description,
                    transfer_group=group,
                    transfer_direction=direction,
                )
                for account, direction in ((from_account, "out"), (to_account, "in"))
            ]
        )
        # bulk_create leaves auto_now fields as set in Python; re-read for exact timestamps.
        legs = list(Transaction.objects.filter(transfer_group=group).order_by("pk"))
        for leg in legs:
            leg.invoice_id = None
            event_publish(event_type="transaction.created", data=transaction_payload(leg))
        money_moved(dates=[date])
    return legs


# --- Payments (called by billing.services) ------------------------------------------------------


def payment_transaction_create(
    *,
    account: Account,
    amount: Decimal,
    date: date,
    description: str = "",
    category: Category | None = None,
    invoice_id: int | None = None,
) -> Transaction:
    """The Income transaction behind an invoice payment. Must be called inside the payment's
    own `atomic()` block (billing.services.payment_record). Announces `transaction.created`
    (with `invoice_id` when the caller passes it: the payment row is created afterwards) and
    refreshes the roll-ups of the payment's month and, after commit, its invoice's month."""
    _check_category(category, TransactionType.INCOME)
    txn = Transaction.objects.create(
        type=TransactionType.INCOME,
        account=account,
        amount=amount,
        date=date,
        description=description,
        category=category,
    )
    txn.invoice_id = invoice_id
    event_publish(event_type="transaction.created", data=transaction_payload(txn))
    money_moved(dates=[date], transaction_ids=[txn.pk])
    return txn


def payment_transaction_void(*, txn: Transaction) -> Transaction:
    """Takes a voided payment's transaction out of balances and reports, keeping the row.
    Voiding twice changes nothing. (The payment's own events announce the void.)"""
    with atomic():
        locked = Transaction.objects.select_for_update().get(pk=txn.pk)
        if locked.voided_at is None:
            locked.voided_at = timezone.now()
            locked.save(update_fields=["voided_at", "updated_at"])
            money_moved(dates=[locked.date], transaction_ids=[locked.pk])
    # The caller's instance reflects the void too.
    txn.voided_at, txn.updated_at = locked.voided_at, locked.updated_at
    return txn
