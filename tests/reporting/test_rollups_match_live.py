"""The roll-up reports equal a live SQL aggregate after any sequence of writes: a seeded
random sequence of API calls (transactions recorded, edited, moved, deleted; transfers;
invoices created, paid, voided, cancelled) then every period compared; in the base currency
alone, and with accounts, customers and documents in three currencies whose rates move
during the period (each row converted at its own rate, rounded once)."""

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db.models import Count, Sum

from core.money import to_cents
from reporting.selectors import (
    Period,
    category_report,
    financial_report,
    financial_report_live,
)
from reporting.sources import BASE_AMOUNT, reported_transactions
from tests.factories import CustomerFactory
from tests.ledger.factories import AccountFactory, CategoryFactory
from tests.ledger.helpers import dec
from tests.reporting.billing_helpers import invoice_create, payment_record, payment_void

pytestmark = pytest.mark.django_db

START = date(2023, 11, 1)
DAYS = 150  # Nov 2023 .. Mar 2024: several month and one year boundary


class World:
    def __init__(self, api, committed, rng, currencies=("USD",)):
        self.api, self.committed, self.rng = api, committed, rng
        self.accounts = [AccountFactory(currency=c) for c in currencies for _ in range(2)]
        self.categories = {
            "Income": [CategoryFactory(type="Income"), CategoryFactory(type="Income")],
            "Expense": [CategoryFactory(type="Expense"), CategoryFactory(type="Expense")],
        }
        self.customers = [CustomerFactory(currency=c) for c in currencies for _ in range(2)]
        for currency in currencies[1:]:
            self.rates(currency)
        self.transactions: list[int] = []
        self.invoices: list[dict] = []
        self.payments: list[tuple[dict, dict]] = []

    def rates(self, currency: str) -> None:
        """A rate with six decimals the day before the period, then one every few weeks, so
        rows of one currency convert at different rates by their dates."""
        for offset in range(-1, DAYS, 37):
            rate = Decimal(self.rng.randint(50_0000, 150_0000)) / 1_000_000
            response = self.call(
                "post",
                "/api/v2/exchange-rates",
                {
                    "currency": currency,
                    "date": (START + timedelta(days=offset)).isoformat(),
                    "rate": f"{rate}",
                },
            )
            assert response.status_code == 201, response.json()

    def day(self) -> date:
        return START + timedelta(days=self.rng.randrange(DAYS))

    def amount(self) -> str:
        return f"{Decimal(self.rng.randint(1, 500_00)) / 100:.2f}"

    def call(self, method, url, body=None):
        fn = getattr(self.api, method)
        return (
            self.committed(fn, url, body, format="json")
            if body is not None
            else (self.committed(fn, url))
        )

    # --- operations -------------------------------------------------------------------

    def record(self):
        type_ = self.rng.choice(["Income", "Expense"])
        category = self.rng.choice([*self.categories[type_], None])
        response = self.call(
            "post",
            "/api/v2/transactions",
            {
                "type": type_,
                "account_id": self.rng.choice(self.accounts).pk,
                "amount": self.amount(),
                "category_id": category.pk if category else None,
                "date": self.day().isoformat(),
            },
        )
        assert response.status_code == 201
        self.transactions.append(response.json()["data"]["id"])

    def edit(self):
        if not self.transactions:
            return
        txn_id = self.rng.choice(self.transactions)
        change = self.rng.choice([{"amount": self.amount()}, {"date": self.day().isoformat()}])
        assert self.call("patch", f"/api/v2/transactions/{txn_id}", change).status_code == 200

    def delete(self):
        if not self.transactions:
            return
        txn_id = self.transactions.pop(self.rng.randrange(len(self.transactions)))
        assert self.call("delete", f"/api/v2/transactions/{txn_id}").status_code == 200

    def transfer(self):
        currency = self.rng.choice(self.accounts).currency
        source, target = [a for a in self.accounts if a.currency == currency]
        response = self.call(
            "post",
            "/api/v2/transfers",
            {
                "from_account_id": source.pk,
                "to_account_id": target.pk,
                "amount": self.amount(),
                "date": self.day().isoformat(),
            },
        )
        assert response.status_code == 201

    def invoice(self):
        status = self.rng.choice([None, None, None, "Draft"])
        self.invoices.append(
            self.committed(
                invoice_create,
                self.api,
                amount=self.amount(),
                day=self.day(),
                customer=self.rng.choice(self.customers),
                status=status,
            )
        )

    def pay(self):
        open_ = [
            i
            for i in self.invoices
            if i["status"] in ("Unpaid", "Partially Paid") and dec(i["balance_due"]) > 0
        ]
        if not open_:
            return
        invoice = self.rng.choice(open_)
        balance = dec(invoice["balance_due"])
        amount = min(balance, Decimal(self.rng.randint(1, int(balance * 100))) / 100)
        payment = self.committed(
            payment_record,
            self.api,
            invoice=invoice,
            amount=f"{amount:.2f}",
            day=self.day(),
            account=self.rng.choice(
                [a for a in self.accounts if a.currency == invoice["currency"]]
            ),
        )
        self.payments.append((invoice, payment))
        self.refresh(invoice)

    def void(self):
        if not self.payments:
            return
        invoice, payment = self.payments.pop(self.rng.randrange(len(self.payments)))
        self.committed(payment_void, self.api, invoice=invoice, payment=payment)
        self.refresh(invoice)

    def cancel(self):
        # Only an issued invoice without payments is cancelled (a draft would be deleted).
        unpaid = [i for i in self.invoices if i["status"] == "Unpaid"]
        if not unpaid:
            return
        invoice = self.rng.choice(unpaid)
        path = f"/api/v2/invoices/{invoice['id']}/cancel"
        response = self.call("post", path, {"reason": "Random cancel"})
        assert response.status_code == 200, response.json()
        self.refresh(invoice)

    def refresh(self, invoice: dict) -> None:
        invoice.update(self.api.get(f"/api/v2/invoices/{invoice['id']}").json()["data"])


def live_categories(period: Period) -> dict:
    rows = (
        reported_transactions(period.start, period.end)
        .order_by()
        .values("type", "category_id")
        .annotate(total=Sum(BASE_AMOUNT), count=Count("id"))
    )
    return {(r["type"], r["category_id"]): (to_cents(r["total"]), r["count"]) for r in rows}


def rolled_categories(period: Period) -> dict:
    report = category_report(period=period)
    return {
        (type_, line["category_id"]): (line["total"], line["count"])
        for type_, key in (("Income", "income"), ("Expense", "expenses"))
        for line in report[key]
    }


@pytest.mark.parametrize(
    ("seed", "currencies"),
    [
        (1, ("USD",)),
        (2, ("USD",)),
        (3, ("USD",)),
        (4, ("USD", "EUR", "CHF")),
        (5, ("USD", "EUR", "CHF")),
        (6, ("USD", "JPY", "GBP")),
    ],
)
def test_roll_up_reports_equal_the_live_aggregate_after_random_writes(
    api, committed, seed, currencies
):
    rng = random.Random(seed)
    world = World(api, committed, rng, currencies)
    operations = [
        (world.record, 6),
        (world.edit, 2),
        (world.delete, 1),
        (world.transfer, 1),
        (world.invoice, 3),
        (world.pay, 3),
        (world.void, 1),
        (world.cancel, 1),
    ]
    functions = [fn for fn, _ in operations]
    weights = [weight for _, weight in operations]
    for _ in range(60):
        rng.choices(functions, weights)[0]()

    periods = [Period(), Period(year=2023), Period(year=2024), Period(year=2022)]
    periods += [Period(year=2023, month=m) for m in (10, 11, 12)]
    periods += [Period(year=2024, month=m) for m in (1, 2, 3, 4)]
    for period in periods:
        assert financial_report(period=period) == financial_report_live(period=period), period
        assert rolled_categories(period) == live_categories(period), period
    # And the API serves the roll-up figures.
    all_time = financial_report_live(period=Period())
    served = api.get("/api/v2/reports/financial").json()["data"]
    assert served.pop("currency") == all_time.pop("currency") == "USD"
    assert {key: dec(value) for key, value in served.items()} == all_time
    assert all_time["income"] > 0
