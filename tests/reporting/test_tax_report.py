"""GET /api/v2/reports/tax: tax per rate over issued, non-cancelled invoices dated in the
period, minus credit notes dated in it, from the stored line figures."""

import datetime
from decimal import Decimal

import pytest

from billing import services
from tests.billing.factories import item, make_invoice

pytestmark = pytest.mark.django_db

URL = "/api/v2/reports/tax"


def report(api, query=""):
    response = api.get(f"{URL}?{query}")
    assert response.status_code == 200, response.json()
    return response.json()["data"]


def test_tax_per_rate_from_the_stored_lines_after_discount(api):
    # 100 @10 % and 100 @20 % with 20 off: 10 off each line, tax 9.00 and 18.00.
    make_invoice(
        items=[item("100", tax_rate=10), item("100", tax_rate=20)],
        discount="20",
        date=datetime.date(2024, 3, 5),
    )
    make_invoice(items=[item("50")], date=datetime.date(2024, 3, 6))

    data = report(api, "date_from=2024-03-01&date_to=2024-03-31")

    assert data["rates"] == [
        {"rate": 0, "taxable": 50, "tax": 0},
        {"rate": 10, "taxable": 90, "tax": 9},
        {"rate": 20, "taxable": 90, "tax": 18},
    ]
    assert (data["total_taxable"], data["total_tax"]) == (230, 27)


def test_drafts_cancelled_and_out_of_period_invoices_are_left_out(api):
    make_invoice(items=[item("100", tax_rate=10)], date=datetime.date(2024, 3, 1), status="Draft")
    cancelled = make_invoice(items=[item("100", tax_rate=10)], date=datetime.date(2024, 3, 1))
    services.invoice_cancel(invoice=cancelled, reason="Duplicate")
    make_invoice(items=[item("100", tax_rate=10)], date=datetime.date(2024, 2, 29))
    make_invoice(items=[item("100", tax_rate=10)], date=datetime.date(2024, 3, 31))

    data = report(api, "date_from=2024-03-01&date_to=2024-03-31")

    assert data["rates"] == [{"rate": 10, "taxable": 100, "tax": 10}]


def test_credit_notes_dated_in_the_period_are_netted(api):
    invoice = make_invoice(items=[item("100", tax_rate=10)], date=datetime.date(2024, 3, 1))
    services.credit_note_create(
        invoice=invoice,
        items=[item("40", tax_rate=10)],
        reason="Returned",
        date=datetime.date(2024, 3, 10),
    )
    services.credit_note_create(
        invoice=invoice,
        items=[item("10", tax_rate=10)],
        reason="Later",
        date=datetime.date(2024, 4, 2),
    )

    march = report(api, "date_from=2024-03-01&date_to=2024-03-31")
    april = report(api, "date_from=2024-04-01&date_to=2024-04-30")

    assert march["rates"] == [{"rate": 10, "taxable": 60, "tax": 6}]
    assert april["rates"] == [{"rate": 10, "taxable": -10, "tax": -1}]


def test_without_dates_everything_counts(api):
    make_invoice(items=[item("100", tax_rate=10)], date=datetime.date(2023, 3, 1))
    make_invoice(items=[item("100", tax_rate=10)], date=datetime.date(2024, 3, 1))

    data = report(api)

    assert (data["total_taxable"], data["total_tax"]) == (200, 20)
    assert (data["date_from"], data["date_to"]) == (None, None)


def test_bad_dates_are_400(api):
    response = api.get(f"{URL}?date_from=2024-03-31&date_to=2024-03-01")
    bad = api.get(f"{URL}?date_from=soon")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["date_to"]
    assert (bad.status_code, list(bad.json()["errors"])) == (400, ["date_from"])


def test_two_queries_whatever_the_size(api, django_assert_max_num_queries):
    for day in range(1, 6):
        make_invoice(items=[item("10", tax_rate=day)], date=datetime.date(2024, 3, day))

    with django_assert_max_num_queries(8):
        data = report(api)

    assert len(data["rates"]) == 5
    assert data["total_tax"] == float(sum(Decimal(d) * Decimal("0.1") for d in range(1, 6)))
