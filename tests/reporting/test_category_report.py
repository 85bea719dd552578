from decimal import Decimal

import pytest

from tests.ledger.factories import AccountFactory, CategoryFactory
from tests.ledger.helpers import dec

pytestmark = pytest.mark.django_db

URL = "/api/v2/reports/categories"


def record(api, committed, type_, amount, day, category=None):
    response = committed(
        api.post,
        "/api/v2/transactions",
        {
            "type": type_,
            "account_id": AccountFactory().pk,
            "amount": amount,
            "category_id": category.pk if category else None,
            "date": day,
        },
        format="json",
    )
    assert response.status_code == 201


def lines(data, key):
    return [
        (line["category_id"], line["name"], dec(line["total"]), line["count"]) for line in data[key]
    ]


def test_income_and_expenses_by_category_for_a_month(api, committed):
    consulting = CategoryFactory(name="Consulting", type="Income")
    sales = CategoryFactory(name="Sales", type="Income")
    rent = CategoryFactory(name="Rent", type="Expense")
    record(api, committed, "Income", "100.10", "2024-01-02", consulting)
    record(api, committed, "Income", "200.20", "2024-01-03", consulting)
    record(api, committed, "Income", "50.05", "2024-01-31", sales)
    record(api, committed, "Income", "9.99", "2024-01-15")
    record(api, committed, "Expense", "700.00", "2024-01-01", rent)
    record(api, committed, "Expense", "999.00", "2024-02-01", rent)  # another month

    response = api.get(f"{URL}?year=2024&month=1")

    data = response.json()["data"]
    assert response.status_code == 200
    assert (data["year"], data["month"]) == (2024, 1)
    assert lines(data, "income") == [
        (consulting.pk, "Consulting", Decimal("300.30"), 2),
        (sales.pk, "Sales", Decimal("50.05"), 1),
        (None, "Uncategorized", Decimal("9.99"), 1),
    ]
    assert lines(data, "expenses") == [(rent.pk, "Rent", Decimal("700.00"), 1)]
    assert dec(data["income_total"]) == Decimal("360.34")
    assert dec(data["expenses_total"]) == Decimal("700.00")


def test_year_and_all_time_sum_the_months(api, committed):
    rent = CategoryFactory(name="Rent", type="Expense")
    record(api, committed, "Expense", "700.00", "2024-01-01", rent)
    record(api, committed, "Expense", "0.01", "2024-12-31", rent)
    record(api, committed, "Expense", "5.00", "2023-06-01", rent)

    year = api.get(f"{URL}?year=2024").json()["data"]
    everything = api.get(URL).json()["data"]

    assert lines(year, "expenses") == [(rent.pk, "Rent", Decimal("700.01"), 2)]
    assert lines(everything, "expenses") == [(rent.pk, "Rent", Decimal("705.01"), 3)]
    assert (everything["year"], everything["month"]) == (None, None)


def test_category_report_validates_the_period(api):
    response = api.get(f"{URL}?month=2")

    assert response.status_code == 400
    assert response.json()["errors"] == {"month": "Give a year with the month."}
