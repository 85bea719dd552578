"""Reports in the base currency (contract section 13): the financial, tax and aging reports and
the dashboard convert each document and transaction at its own rate and round once, at the
end; a property test holds them to the sum of each row × its rate, for any mix of
currencies."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing import services as billing
from core.db import atomic
from ledger import services as ledger
from ledger.models import Account
from reporting import selectors
from reporting.selectors import Period
from reporting.services import rollups_rebuild
from tests.billing.factories import item
from tests.factories import CustomerFactory, UserFactory
from tests.ledger.helpers import dec
from users.models import Role

pytestmark = pytest.mark.django_db

CENT = Decimal("0.01")
DAY = datetime.date(2024, 5, 10)


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def account(currency: str) -> Account:
    return ledger.account_create(name=f"Bank {currency}", currency=currency)


def txn(acct, type_, amount, rate=None, day=DAY):
    return ledger.transaction_create(
        type=type_,
        account=acct,
        amount=Decimal(amount),
        date=day,
        exchange_rate=None if rate is None else Decimal(rate),
    )


def invoice(currency, amount, rate=None, tax_rate=None, due=DAY, customer=None):
    return billing.invoice_create(
        customer=customer or CustomerFactory(currency=currency),
        items=[item(amount, tax_rate=tax_rate)],
        date=DAY,
        due_date=due,
        currency=currency,
        exchange_rate=None if rate is None else Decimal(rate),
    )


def test_the_financial_report_converts_each_row_at_its_rate_and_says_its_currency(api):
    txn(account("EUR"), "Income", "100.00", "1.1")
    txn(account("CHF"), "Expense", "50.00", "1.05")
    txn(account("USD"), "Income", "10.00")
    invoice("JPY", "1000.00", "0.0067")
    rollups_rebuild()

    data = api.get("/api/v2/reports/financial?year=2024").json()["data"]

    assert data["currency"] == "USD"
    assert [dec(data[k]) for k in ("income", "expenses", "profit", "outstanding_invoices")] == [
        Decimal("120.00"),
        Decimal("52.50"),
        Decimal("67.50"),
        Decimal("6.70"),
    ]


def test_rows_are_rounded_once_not_one_by_one(api):
    eur = account("EUR")
    for _ in range(3):
        txn(eur, "Income", "0.01", "1.5")  # 0.015 each: 0.02 × 3 if rounded row by row
    rollups_rebuild()

    data = api.get("/api/v2/reports/financial").json()["data"]

    assert dec(data["income"]) == Decimal("0.05")  # 0.045, rounded once
    assert selectors.financial_report_live(period=Period())["income"] == Decimal("0.05")


def test_the_tax_report_converts_each_invoice_and_credit_note_at_its_rate(api):
    eur = invoice("EUR", "100.00", "1.2", tax_rate=10)
    invoice("USD", "50.00", tax_rate=10)
    billing.credit_note_create(
        invoice=eur, items=[item("10.00", tax_rate=10)], reason="Returned", date=DAY
    )

    data = api.get("/api/v2/reports/tax?date_from=2024-05-01&date_to=2024-05-31").json()["data"]

    # EUR: (100 − 10) × 1.2 = 108 taxable, 9 × 1.2 = 10.80 tax; USD: 50 and 5.
    assert data["rates"] == [{"rate": 10, "taxable": 158, "tax": 15.8}]
    assert (data["total_taxable"], data["total_tax"]) == (158, 15.8)


def test_aging_converts_each_balance_at_its_invoices_rate(api):
    customer = CustomerFactory(currency="EUR")
    invoice("EUR", "100.00", "1.1", customer=customer)
    invoice("EUR", "0.01", "1.5", customer=customer)
    invoice("EUR", "0.01", "1.5", customer=customer)

    data = api.get("/api/v2/reports/aging").json()["data"]

    assert dec(data["totals"]["total"]) == Decimal("110.03")  # 110 + 0.015 + 0.015
    assert dec(data["customers"][0]["days_90_plus"]) == Decimal("110.03")


def test_the_dashboard_shows_base_totals_and_each_invoice_in_its_currency():
    eur = invoice("EUR", "200.00", "1.1", due=datetime.date(2024, 5, 20))
    invoice("USD", "30.00", due=datetime.date(2024, 5, 20))

    receivables = selectors.receivables_summary(today=datetime.date(2024, 6, 1))
    overdue = selectors.overdue_invoices(today=datetime.date(2024, 6, 1))

    assert receivables["outstanding"] == Decimal("250.00")
    assert receivables["overdue"] == Decimal("250.00")
    assert {(row["invoice_number"], row["currency"]) for row in overdue} >= {
        (eur.invoice_number, "EUR")
    }


def test_the_admin_dashboard_formats_each_amount_with_its_currency():
    invoice("CHF", "1200.00", "1.13", due=datetime.date(2024, 5, 20))
    account("CHF")
    client = Client()
    client.force_login(UserFactory(role=Role.ADMINISTRATOR))

    html = client.get("/admin/").content.decode()

    assert "CHF\u00a01,200.00" in html  # the overdue invoice, in its own currency
    assert "$1,356.00" in html  # what is outstanding, in the base currency


# --- the property: every report is the sum of each row × its rate, rounded once ---------------

CURRENCIES = ["USD", "EUR", "CHF", "JPY", "GBP"]
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)
rates = st.decimals(min_value=Decimal("0.000001"), max_value=Decimal("999.999999"), places=6)
rows = st.lists(
    st.tuples(
        st.sampled_from(["Income", "Expense", "Invoice"]),
        st.sampled_from(CURRENCIES),
        amounts,
        rates,
        st.sampled_from([Decimal(0), Decimal(10), Decimal("7.7")]),
    ),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=rows)
def test_reports_equal_the_sum_of_each_row_times_its_rate_rounded_once(api, rows):
    with atomic():
        accounts = {currency: account(currency) for currency in CURRENCIES}
        expected = {"Income": Decimal(0), "Expense": Decimal(0), "owed": Decimal(0)}
        tax = Decimal(0)
        for kind, currency, amount, rate, tax_rate in rows:
            rate = Decimal(1) if currency == "USD" else rate
            if kind == "Invoice":
                written = invoice(currency, amount, rate, tax_rate=tax_rate)
                expected["owed"] += written.total * rate
                tax += written.tax * rate
            else:
                txn(accounts[currency], kind, amount, rate)
                expected[kind] += amount * rate
        rollups_rebuild()

        served = api.get("/api/v2/reports/financial").json()["data"]
        live = selectors.financial_report_live(period=Period(year=2024))
        tax_report = selectors.tax_report()
        aging = selectors.aging_report(today=DAY)
        receivables = selectors.receivables_summary(today=DAY)
        transaction.set_rollback(True)

    income, expenses = cents(expected["Income"]), cents(expected["Expense"])
    owed = cents(expected["owed"])
    assert {key: dec(value) for key, value in served.items() if key != "currency"} == {
        "income": income,
        "expenses": expenses,
        "profit": income - expenses,
        "outstanding_invoices": owed,
    }
    assert (live["income"], live["expenses"], live["outstanding_invoices"]) == (
        income,
        expenses,
        owed,
    )
    assert tax_report["total_tax"] == cents(tax)
    assert aging["totals"]["total"] == owed
    assert receivables["outstanding"] == owed
