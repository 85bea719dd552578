"""Writes for accounts, categories and transactions: typed, keyword-only functions. Money
changes are atomic, announce `transaction.*` in the same database transaction (outbox), and
tell reporting which dates moved (`core.hooks.money_moved`).

Deletes lock the row and re-read it inside their transaction, so of concurrent deletes of one
row exactly one succeeds (and announces); the others find nothing (`DoesNotExist`, a 404).

Every write appends its audit entry in the same transaction (one per row changed; a transfer
or a deleted transfer is one per leg). A transaction write dated on or before the closed-books
date, old date or new, is refused (409) before anything changes."""

import enum
import uuid
from datetime import date
from decimal import Decimal

from django.db import IntegrityError
from django.utils import timezone

from audit.changes import diff_fields, snapshot
from audit.services import (
    audit_created,
    audit_deleted,
    audit_record,
    audit_record_many,
    audit_updated,
)
from core.books import books_assert_open
from core.currencies import base_currency, currency_check, rate_check
from core.db import atomic
from core.errors import ConflictError, DomainValidationError
from core.fields import business_dates_check
from core.hooks import money_moved
from core.money import ZERO
from core.services import model_update
from ledger.events import transaction_payload
from ledger.models import (
    Account,
    Category,
    ExchangeRate,
    Transaction,
    TransactionOrigin,
    TransactionType,
)
from ledger.selectors import exchange_rate_on
from webhooks.services import event_publish

ACCOUNT_IN_USE = "This account has transactions and cannot be deleted."
CATEGORY_IN_USE = "This category is used by transactions and cannot be deleted."
CATEGORY_TAKEN = "A category with this name and type already exists."
PAYMENT_OWNED = (
    "This transaction belongs to an invoice payment: change or void it through the payment."
)
CREDIT_NOTE_OWNED = (
    "This transaction is the refund of a credit note: credit notes are final, so it cannot change."
)
OWNED_BY = {
    TransactionOrigin.PAYMENT: PAYMENT_OWNED,
    TransactionOrigin.CREDIT_NOTE: CREDIT_NOTE_OWNED,
}
TRANSFER_LEG = "This transaction is one leg of a transfer: delete the transfer and record it again."


class Unchanged(enum.Enum):
    """The default of an update argument whose `None` is a value (an uncategorised row)."""

    UNCHANGED = "unchanged"


UNCHANGED = Unchanged.UNCHANGED


def _given(**values) -> dict:
    """The update arguments a caller gave: `None` means "leave as it is"."""
    return {name: value for name, value in values.items() if value is not None}


# --- Exchange rates ----------------------------------------------------------------------------

RATE_TAKEN = "A rate for this currency on this date already exists."


def exchange_rate_missing(currency: str, on: date) -> str:
    return (
        f"No exchange rate for {currency} on or before {on.isoformat()}: give exchange_rate "
        "or add one with POST /api/v2/exchange-rates."
    )


def exchange_rate_resolve(
    *, currency: str, on: date, given: Decimal | None = None, field: str = "exchange_rate"
) -> Decimal:
    """The rate a document or transaction in `currency` dated `on` stores: the one given
    (checked: 1 for the base currency), else the latest known on or before `on`; none known
    is a 400 on `field`."""
    rate = rate_check(given, currency=currency, field=field)
    if rate is None:
        rate = exchange_rate_on(currency=currency, on=on)
    if rate is None:
        raise DomainValidationError({field: exchange_rate_missing(currency, on)})
    return rate


def exchange_rate_create(*, currency: str, date: date, rate: Decimal) -> ExchangeRate:
    """Records what one unit of `currency` is worth in the base currency from `date` on. One
    rate per currency and date (400 on `date`); the base currency has none (always 1).
    Documents already written keep the rate they took."""
    currency_check(currency)
    if currency == base_currency():
        raise DomainValidationError(
            {"currency": f"{currency} is the base currency: its rate is always 1."}
        )
    business_dates_check(date=date)
    value = rate_check(rate, currency=currency, field="rate")
    try:
        with atomic():
            if ExchangeRate.objects.filter(currency=currency, date=date).exists():
                raise DomainValidationError({"date": RATE_TAKEN})
            row = ExchangeRate.objects.create(currency=currency, date=date, rate=value)
            audit_created(resource="exchange_rate", row=row)
    except IntegrityError:
        raise DomainValidationError({"date": RATE_TAKEN}) from None
    return row


def _transaction_rate(account: Account, on: date, given: Decimal | None = None) -> Decimal:
    """A transaction takes the rate of its account's currency on its date, like a document."""
    return exchange_rate_resolve(currency=account.currency, on=on, given=given)


# --- Accounts ----------------------------------------------------------------------------------


def _account_in_use(account: Account) -> bool:
    return Transaction.objects.filter(account=account).exists()


def account_create(
    *, name: str, currency: str | None = None, opening_balance: Decimal = ZERO
) -> Account:
    """Creates a money account (in the base currency unless told). Its balance starts at
    `opening_balance`."""
    currency = currency_check(currency) or base_currency()
    with atomic():
        account = Account.objects.create(
            name=name, currency=currency, opening_balance=opening_balance
        )
        audit_created(resource="account", row=account)
    return account


def account_update(
    *,
    account: Account,
    name: str | None = None,
    currency: str | None = None,
    opening_balance: Decimal | None = None,
) -> Account:
    """Renames or re-opens an account. The currency of an account with transactions is fixed:
    changing it would silently re-denominate every amount already booked. A new opening
    balance moves the balance by the difference, and the roll-ups do not depend on it."""
    with atomic():
        account = Account.objects.select_for_update().get(pk=account.pk)
        before = snapshot(account)
        if currency is not None:
            currency_check(currency)
            if currency != account.currency and _account_in_use(account):
                raise DomainValidationError(
                    {"currency": "The currency of an account with transactions cannot change."}
                )
        data = _given(name=name, currency=currency, opening_balance=opening_balance)
        account, _ = model_update(
            instance=account, fields=["name", "currency", "opening_balance"], data=data
        )
        audit_updated(resource="account", row=account, before=before)
    return account


def account_delete(*, account: Account) -> None:
    """Deletes an account that never had a transaction (otherwise 409: history is kept)."""
    with atomic():
        account = Account.objects.select_for_update().get(pk=account.pk)
        if _account_in_use(account):
            raise ConflictError(ACCOUNT_IN_USE)
        audit_deleted(resource="account", row=account)
        account.delete()


# --- Categories --------------------------------------------------------------------------------


def _category_in_use(category: Category) -> bool:
    return Transaction.objects.filter(category=category).exists()


def _category_taken(name: str, type_: str, exclude_pk: int | None = None) -> bool:
    query = Category.objects.filter(name__iexact=name, type=type_)
    if exclude_pk is not None:
        query = query.exclude(pk=exclude_pk)
    return query.exists()


def category_create(*, name: str, type: str) -> Category:
    """Creates a category, unique by (name, type) ignoring case."""
    try:
        with atomic():
            if _category_taken(name, type):
                raise DomainValidationError({"name": CATEGORY_TAKEN})
            category = Category.objects.create(name=name, type=type)
            audit_created(resource="category", row=category)
    except IntegrityError:
        raise DomainValidationError({"name": CATEGORY_TAKEN}) from None
    return category


def category_update(
    *, category: Category, name: str | None = None, type: str | None = None
) -> Category:
    """Renames a category. A category in use keeps its type: every transaction filed under
    it must keep matching it."""
    try:
        with atomic():
            category = Category.objects.select_for_update().get(pk=category.pk)
            before = snapshot(category)
            new_type = type or category.type
            if new_type != category.type and _category_in_use(category):
                raise DomainValidationError(
                    {"type": "A category used by transactions cannot change type."}
                )
            if _category_taken(name or category.name, new_type, category.pk):
                raise DomainValidationError({"name": CATEGORY_TAKEN})
            category, _ = model_update(
                instance=category, fields=["name", "type"], data=_given(name=name, type=type)
            )
            audit_updated(resource="category", row=category, before=before)
    except IntegrityError:
        raise DomainValidationError({"name": CATEGORY_TAKEN}) from None
    return category


def category_delete(*, category: Category) -> None:
    """Deletes a category no transaction uses (otherwise 409)."""
    with atomic():
        category = Category.objects.select_for_update().get(pk=category.pk)
        if _category_in_use(category):
            raise ConflictError(CATEGORY_IN_USE)
        audit_deleted(resource="category", row=category)
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


def transaction_create(
    *,
    type: str,
    account: Account,
    amount: Decimal,
    date: date,
    category: Category | None = None,
    description: str = "",
    exchange_rate: Decimal | None = None,
) -> Transaction:
    """Records an Income or Expense transaction whose category (if any) has the same type,
    at the rate of its account's currency on its date (`exchange_rate` given, else the latest
    known; none is a 400), announces `transaction.created` and refreshes that month's roll-ups
    after commit."""
    if type not in (TransactionType.INCOME, TransactionType.EXPENSE):
        raise DomainValidationError({"type": "Type must be Income or Expense."})
    business_dates_check(date=date)
    _check_category(category, type)
    rate = _transaction_rate(account, date, exchange_rate)
    with atomic():
        books_assert_open(date)
        txn = Transaction.objects.create(
            type=type,
            account=account,
            amount=amount,
            category=category,
            description=description or "",
            date=date,
            exchange_rate=rate,
        )
        event_publish(event_type="transaction.created", data=transaction_payload(txn))
        audit_created(resource="transaction", row=txn)
        money_moved(dates=[txn.date])
    return txn


def transaction_batch_errors(*, records: list[dict], prefix: str = "rows") -> dict[str, str]:
    """What refuses a set of `transaction_create` records, keyed `<prefix>.N.field` (a
    category of the other type, a date outside the business window); empty when every one
    can be recorded. Reads nothing, writes nothing: an import's preview asks this."""
    errors: dict[str, str] = {}
    for index, record in enumerate(records):
        try:
            business_dates_check(date=record["date"])
            _check_category(record.get("category"), record["type"])
            _transaction_rate(record["account"], record["date"], record.get("exchange_rate"))
        except DomainValidationError as exc:
            for field, message in exc.errors.items():
                errors.setdefault(f"{prefix}.{index}.{field}", message)
    return errors


def transaction_batch_create(*, records: list[dict], prefix: str = "rows") -> list[Transaction]:
    """Records every transaction or none, each through `transaction_create` (so each gets its
    `transaction.created` event and its month's roll-ups), in one transaction; errors keyed
    `<prefix>.N.field`."""
    errors = transaction_batch_errors(records=records, prefix=prefix)
    if errors:
        raise DomainValidationError(errors)
    with atomic():
        return [
            transaction_create(
                type=record["type"],
                account=record["account"],
                amount=record["amount"],
                date=record["date"],
                category=record.get("category"),
                description=record.get("description", ""),
                exchange_rate=record.get("exchange_rate"),
            )
            for record in records
        ]


def _lock_changeable(txn: Transaction) -> Transaction:
    locked = Transaction.objects.select_for_update().get(pk=txn.pk)
    if locked.origin in OWNED_BY:
        raise ConflictError(OWNED_BY[locked.origin])
    return locked


def transaction_update(
    *,
    txn: Transaction,
    type: str | None = None,
    account: Account | None = None,
    amount: Decimal | None = None,
    category: Category | None | Unchanged = UNCHANGED,
    description: str | None = None,
    date: date | None = None,
    exchange_rate: Decimal | None = None,
) -> Transaction:
    """Changes an Income/Expense transaction (not a payment's, not a transfer leg: 409),
    keeping the category type rule and refreshing the roll-ups of both the old and the new
    month. Arguments left out (`None`; `UNCHANGED` for the category) keep their value. A new
    account or date takes the rate of that currency and date unless `exchange_rate` is
    given. Announces `transaction.updated`."""
    business_dates_check(date=date)
    with atomic():
        txn = _lock_changeable(txn)
        if txn.type == TransactionType.TRANSFER:
            raise ConflictError(TRANSFER_LEG)
        books_assert_open(txn.date, date)
        before = snapshot(txn)
        old_date = txn.date
        new_category = txn.category if category is UNCHANGED else category
        _check_category(new_category, type or txn.type)
        data = _given(type=type, account=account, amount=amount, description=description, date=date)
        new_account = account or txn.account
        moved = new_account.currency != txn.account.currency or (date or txn.date) != txn.date
        if exchange_rate is not None or moved:
            data["exchange_rate"] = _transaction_rate(new_account, date or txn.date, exchange_rate)
        if category is not UNCHANGED:
            data["category"] = category
        txn, _ = model_update(
            instance=txn,
            fields=[
                "type",
                "account",
                "amount",
                "category",
                "description",
                "date",
                "exchange_rate",
            ],
            data=data,
        )
        event_publish(event_type="transaction.updated", data=transaction_payload(txn))
        audit_updated(resource="transaction", row=txn, before=before)
        money_moved(dates=[old_date, txn.date])
    return txn


def _lock_for_delete(txn: Transaction) -> list[Transaction]:
    """Locks the row (a transfer: both legs, in id order, so deleting either leg of one
    transfer at once cannot deadlock) and re-reads it: gone means DoesNotExist."""
    group = Transaction.objects.filter(pk=txn.pk).values_list("transfer_group", flat=True).first()
    if group is None:
        return [_lock_changeable(txn)]
    legs = list(Transaction.objects.select_for_update().filter(transfer_group=group).order_by("pk"))
    if txn.pk not in {leg.pk for leg in legs}:
        raise Transaction.DoesNotExist("Transaction matching query does not exist.")
    for leg in legs:
        if leg.origin in OWNED_BY:
            raise ConflictError(OWNED_BY[leg.origin])
    return legs


def transaction_delete(*, txn: Transaction) -> None:
    """Deletes a transaction (a transfer leg deletes the whole transfer). A payment's
    transaction is removed only by voiding the payment (409). Announces `transaction.deleted`
    for each row removed, once, however many callers race to delete it."""
    with atomic():
        legs = _lock_for_delete(txn)
        books_assert_open(*(leg.date for leg in legs))
        payloads = [transaction_payload(leg) for leg in legs]
        removed = [(leg.pk, diff_fields(snapshot(leg), {})) for leg in legs]
        for leg in legs:
            leg.delete()
        for payload in payloads:
            event_publish(event_type="transaction.deleted", data=payload)
        audit_record_many(action="transaction.deleted", resource="transaction", entries=removed)
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
    business_dates_check(date=date)
    if from_account.pk == to_account.pk:
        raise DomainValidationError({"to_account_id": "Choose two different accounts."})
    if from_account.currency != to_account.currency:
        raise DomainValidationError({"to_account_id": "Both accounts must use the same currency."})
    group = uuid.uuid4()
    # Transfers are in no report, so a currency with no known rate yet does not stop one.
    rate = exchange_rate_on(currency=from_account.currency, on=date)
    with atomic():
        books_assert_open(date)
        Transaction.objects.bulk_create(
            [
                Transaction(
                    type=TransactionType.TRANSFER,
                    account=account,
                    amount=amount,
                    date=date,
                    description=description or "",
                    transfer_group=group,
                    transfer_direction=direction,
                    exchange_rate=rate,
                )
                for account, direction in ((from_account, "out"), (to_account, "in"))
            ]
        )
        # bulk_create leaves auto_now fields as set in Python; re-read for exact timestamps.
        legs = list(Transaction.objects.filter(transfer_group=group).order_by("pk"))
        for leg in legs:
            event_publish(event_type="transaction.created", data=transaction_payload(leg))
        audit_record_many(
            action="transaction.created",
            resource="transaction",
            entries=[(leg.pk, diff_fields({}, snapshot(leg))) for leg in legs],
        )
        money_moved(dates=[date])
    return legs


# --- Payments (called by billing.services) ------------------------------------------------------


def payment_transaction_create(
    *,
    account: Account,
    amount: Decimal,
    date: date,
    invoice_id: int,
    exchange_rate: Decimal,
    description: str = "",
    category: Category | None = None,
) -> Transaction:
    """The Income transaction behind an invoice payment, at the `exchange_rate` billing
    chose for it, marked `origin = payment` with its
    invoice's id: from then on only payment_transaction_void changes it. Must be called inside
    the payment's own `atomic()` block (billing.services.payment_record). Announces
    `transaction.created` and tells reporting about the payment's date and invoice."""
    business_dates_check(date=date)
    _check_category(category, TransactionType.INCOME)
    txn = Transaction.objects.create(
        type=TransactionType.INCOME,
        account=account,
        amount=amount,
        date=date,
        description=description,
        category=category,
        origin=TransactionOrigin.PAYMENT,
        invoice_id=invoice_id,
        exchange_rate=exchange_rate,
    )
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


# --- Credit note refunds (called by billing.services) -------------------------------------------


def refund_transaction_create(
    *,
    account: Account,
    amount: Decimal,
    date: date,
    invoice_id: int,
    exchange_rate: Decimal,
    description: str = "",
) -> Transaction:
    """The Expense transaction that pays a credit note's refund out of `account` (at the
    `exchange_rate` billing chose for it), marked
    `origin = credit_note` with the corrected invoice's id: no service changes or deletes it
    afterwards (409), since a credit note is final. Must be called inside the credit note's
    own `atomic()` block (billing.services.credit_note_create), after its books check.
    Announces `transaction.created` and records `transaction.created` in the audit trail."""
    business_dates_check(date=date)
    txn = Transaction.objects.create(
        type=TransactionType.EXPENSE,
        account=account,
        amount=amount,
        date=date,
        description=description,
        origin=TransactionOrigin.CREDIT_NOTE,
        invoice_id=invoice_id,
        exchange_rate=exchange_rate,
    )
    event_publish(event_type="transaction.created", data=transaction_payload(txn))
    audit_record(
        action="transaction.created",
        resource="transaction",
        resource_id=txn.pk,
        changes=diff_fields({}, snapshot(txn)),
    )
    money_moved(dates=[date])
    return txn
