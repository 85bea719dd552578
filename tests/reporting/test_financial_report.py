from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command

from reporting.models import RollupMonth
from tests.ledger.factories import AccountFactory, CategoryFactory, TransactionFactory
from tests.ledger.helpers import dec
from tests.reporting.billing_helpers import invoice_create, payment_record, payment_void

pytestmark = pytest.mark.django_db

URL = "/api/v2/reports/financial"


@pytest.fixture
def account():
    return AccountFactory()


def record(api, committed, account, type_, amount, day):
    category = CategoryFactory(type=type_)
    response = committed(
        api.post,
        "/api/v2/transactions",
        {
            "type": type_,
            "account_id": account.pk,
            "amount": amount,
            "category_id": category.pk,
            "date": day,
        },
        format="json",
    )
    assert response.status_code == 201


def report(api, query=""):
    response = api.get(f"{URL}?{query}")
    assert response.status_code == 200
    data = response.json()["data"]
    assert data.pop("currency") == "USD"  # the base currency every figure is in
    return {key: dec(value) for key, value in data.items()}


def test_empty_report_is_all_zero(api):
    response = api.get(URL)

    assert response.json() == {
        "success": True,
        "data": {
            "currency": "USD",
            "income": 0.0,
            "expenses": 0.0,
            "profit": 0.0,
            "outstanding_invoices": 0.0,
        },
    }


def test_month_year_and_all_time(api, committed, account):
    record(api, committed, account, "Income", "1000.10", "2024-01-31")
    record(api, committed, account, "Income", "200.00", "2024-02-01")
    record(api, committed, account, "Expense", "300.05", "2024-02-29")
    record(api, committed, account, "Expense", "50.00", "2023-12-31")

    assert report(api, "year=2024&month=1") == {
        "income": Decimal("1000.10"),
        "expenses": Decimal("0.00"),
        "profit": Decimal("1000.10"),
        "outstanding_invoices": Decimal("0.00"),
    }
    assert report(api, "year=2024&month=2")["profit"] == Decimal("-100.05")
    assert report(api, "year=2024") == {
        "income": Decimal("1200.10"),
        "expenses": Decimal("300.05"),
        "profit": Decimal("900.05"),
        "outstanding_invoices": Decimal("0.00"),
    }
    assert report(api)["profit"] == Decimal("850.05")


# The business date window's years (settings.BUSINESS_DATE_MIN/MAX).
YEAR_WINDOW = "Year must be a whole number between 1900 and 2199."


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("year=abc", {"year": YEAR_WINDOW}),
        ("year=0", {"year": YEAR_WINDOW}),
        ("year=1899", {"year": YEAR_WINDOW}),
        ("year=2200", {"year": YEAR_WINDOW}),
        ("year=10000", {"year": YEAR_WINDOW}),
        ("year=2024.5", {"year": YEAR_WINDOW}),
        ("year=2024&month=13", {"month": "Month must be a whole number between 1 and 12."}),
        ("year=2024&month=0", {"month": "Month must be a whole number between 1 and 12."}),
        ("year=2024&month=x", {"month": "Month must be a whole number between 1 and 12."}),
        ("month=5", {"month": "Give a year with the month."}),
    ],
)
def test_nonsense_period_is_a_400(api, query, errors):
    response = api.get(f"{URL}?{query}")

    assert response.status_code == 400
    assert response.json() == {"success": False, "message": "Validation failed", "errors": errors}


def test_report_is_served_from_the_roll_ups(api, committed, account):
    record(api, committed, account, "Income", "10.00", "2024-01-05")
    # A row written behind the services' back (no refresh queued) is not seen...
    TransactionFactory(account=account, type="Income", amount=Decimal("5.00"), date="2024-01-06")
    assert report(api, "year=2024&month=1")["income"] == Decimal("10.00")

    # ...until the roll-ups are rebuilt from source.
    call_command("aggregate_reports", verbosity=0)

    assert report(api, "year=2024&month=1")["income"] == Decimal("15.00")


def test_voided_transactions_do_not_count(api, committed, account):
    record(api, committed, account, "Income", "10.00", "2024-01-05")
    TransactionFactory(
        account=account,
        type="Income",
        amount=Decimal("99.00"),
        date="2024-01-06",
        voided_at="2024-01-07T00:00:00Z",
    )
    call_command("aggregate_reports", verbosity=0)

    assert report(api, "year=2024")["income"] == Decimal("10.00")


def test_any_role_can_read_the_report(client_for):
    assert client_for("viewer").get(URL).status_code == 200


def test_report_needs_a_key(anon):
    assert anon.get(URL).status_code == 401


# --- outstanding invoices ------------------------------------------------------------------


def test_outstanding_is_the_balance_due_of_invoices_dated_in_the_period(api, committed, account):
    january = committed(invoice_create, api, amount="1000.00", day=date(2024, 1, 10))
    committed(invoice_create, api, amount="250.50", day=date(2024, 2, 10))
    committed(invoice_create, api, amount="70.00", day=date(2024, 1, 11), status="Draft")
    # A payment in March lowers January's outstanding: it is the balance due *today*.
    committed(
        payment_record,
        api,
        invoice=january,
        amount="400.00",
        day=date(2024, 3, 2),
        account=account,
    )

    assert report(api, "year=2024&month=1")["outstanding_invoices"] == Decimal("600.00")
    assert report(api, "year=2024&month=2")["outstanding_invoices"] == Decimal("250.50")
    assert report(api, "year=2024&month=3") == {
        "income": Decimal("400.00"),
        "expenses": Decimal("0.00"),
        "profit": Decimal("400.00"),
        "outstanding_invoices": Decimal("0.00"),
    }
    assert report(api)["outstanding_invoices"] == Decimal("850.50")


def test_cancelled_invoices_are_not_outstanding(api, committed):
    invoice = committed(invoice_create, api, amount="80.00", day=date(2024, 1, 10))

    committed(
        api.post, f"/api/v2/invoices/{invoice['id']}/cancel", {"reason": "Void"}, format="json"
    )

    assert report(api, "year=2024")["outstanding_invoices"] == Decimal("0.00")


def test_payment_void_restores_income_and_outstanding_to_the_cent(api, committed, account):
    invoice = committed(invoice_create, api, amount="1234.56", day=date(2024, 1, 10))
    payment = committed(
        payment_record,
        api,
        invoice=invoice,
        amount="234.55",
        day=date(2024, 2, 1),
        account=account,
    )
    assert report(api, "year=2024") == {
        "income": Decimal("234.55"),
        "expenses": Decimal("0.00"),
        "profit": Decimal("234.55"),
        "outstanding_invoices": Decimal("1000.01"),
    }

    committed(payment_void, api, invoice=invoice, payment=payment)

    assert report(api, "year=2024") == {
        "income": Decimal("0.00"),
        "expenses": Decimal("0.00"),
        "profit": Decimal("0.00"),
        "outstanding_invoices": Decimal("1234.56"),
    }
    assert report(api, "year=2024&month=2")["income"] == Decimal("0.00")
    assert RollupMonth.objects.get(month=date(2024, 1, 1)).outstanding == Decimal("1234.56")
