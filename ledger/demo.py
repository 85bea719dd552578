"""Demo ledger: three accounts, income and expense categories, and the last twelve months of
transactions (rent, salaries, sales, a monthly savings transfer). `large` adds 1,000,000
transactions over three years for benchmarks. Idempotent: existing demo rows are kept."""

import random
import uuid
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from tqdm import tqdm

from ledger.models import Account, Category, CategoryType, Transaction, TransactionType

ACCOUNTS = [
    ("Business Checking", "USD", Decimal("25000.00")),
    ("Savings", "USD", Decimal("50000.00")),
    ("Petty Cash", "USD", Decimal("500.00")),
]
INCOME = ["Consulting", "Product Sales", "Subscriptions", "Other Income"]
EXPENSE = ["Rent", "Salaries", "Software", "Travel", "Utilities", "Marketing", "Office Supplies"]
LARGE_COUNT = 1_000_000
LARGE_MARK = "[bulk demo]"


def load(*, size: str, stdout) -> str:
    accounts = [
        Account.objects.filter(name=name).order_by("id").first()
        or Account.objects.create(name=name, currency=currency, opening_balance=opening)
        for name, currency, opening in ACCOUNTS
    ]
    categories = {
        name: Category.objects.filter(name=name, type=kind).order_by("id").first()
        or Category.objects.create(name=name, type=kind)
        for kind, names in ((CategoryType.INCOME, INCOME), (CategoryType.EXPENSE, EXPENSE))
        for name in names
    }
    created = 0
    if not Transaction.objects.filter(account=accounts[0]).exists():
        created += _load_year(accounts, categories)
    if size == "large":
        created += _load_large(accounts, categories, stdout)
    return (
        f"{created} transactions created; {Account.objects.count()} accounts, "
        f"{Category.objects.count()} categories, {Transaction.objects.count()} transactions"
    )


def _load_year(accounts, categories) -> int:
    rng = random.Random(7)
    checking, savings, cash = accounts
    today = timezone.localdate()
    first = (today.replace(day=1) - timedelta(days=335)).replace(day=1)
    rows: list[Transaction] = []

    def add(type_, account, amount, day, category=None, description="", **extra):
        rows.append(
            Transaction(
                type=type_,
                account=account,
                amount=Decimal(amount).quantize(Decimal("0.01")),
                category=categories.get(category),
                date=day,
                description=description,
                **extra,
            )
        )

    month = first
    while month <= today:
        add("Expense", checking, "3200.00", month, "Rent", "Office rent")
        add(
            "Expense",
            checking,
            rng.randint(9000, 12000),
            month.replace(day=25),
            "Salaries",
            "Payroll",
        )
        add("Expense", checking, "189.00", month.replace(day=3), "Software", "SaaS tools")
        add(
            "Expense",
            checking,
            rng.randint(180, 420),
            month.replace(day=12),
            "Utilities",
            "Power and internet",
        )
        for _ in range(rng.randint(3, 6)):
            day = month.replace(day=rng.randint(1, 28))
            add(
                "Income",
                checking,
                rng.randint(800, 6500),
                day,
                rng.choice(INCOME[:3]),
                "Client work",
            )
        for _ in range(rng.randint(1, 3)):
            day = month.replace(day=rng.randint(1, 28))
            add(
                "Expense",
                cash,
                Decimal(rng.randint(1500, 9000)) / 100,
                day,
                rng.choice(["Travel", "Office Supplies", "Marketing"]),
                "Petty cash",
            )
        group = uuid.uuid4()
        day = month.replace(day=28)
        for account, direction in ((checking, "out"), (savings, "in")):
            add(
                TransactionType.TRANSFER,
                account,
                "1000.00",
                day,
                description="Monthly saving",
                transfer_group=group,
                transfer_direction=direction,
            )
        month = (month + timedelta(days=32)).replace(day=1)
    # Nothing in the future: "a year of transactions" up to today.
    rows = [row for row in rows if row.date <= today]
    Transaction.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def _load_large(accounts, categories, stdout) -> int:
    existing = Transaction.objects.filter(description=LARGE_MARK).count()
    if existing >= LARGE_COUNT:
        return 0
    rng = random.Random(11)
    today = timezone.localdate()
    income = [categories[name] for name in INCOME]
    expense = [categories[name] for name in EXPENSE]
    batch: list[Transaction] = []
    for _ in tqdm(range(existing, LARGE_COUNT), desc="transactions", file=stdout):
        is_income = rng.random() < 0.45
        batch.append(
            Transaction(
                type=TransactionType.INCOME if is_income else TransactionType.EXPENSE,
                account=rng.choice(accounts),
                amount=Decimal(rng.randint(100, 500_000)) / 100,
                category=rng.choice(income if is_income else expense),
                date=today - timedelta(days=rng.randint(0, 3 * 365)),
                description=LARGE_MARK,
            )
        )
        if len(batch) == 5000:
            Transaction.objects.bulk_create(batch)
            batch = []
    if batch:
        Transaction.objects.bulk_create(batch)
    return LARGE_COUNT - existing
