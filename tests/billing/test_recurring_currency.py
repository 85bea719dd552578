"""Recurring invoices in another currency (contract sections 11 and 13): each invoice takes the
rate known on its own date unless the schedule fixes one; none known skips that schedule."""

import datetime
from decimal import Decimal

import pytest

from billing.models import Invoice
from billing.recurring import recurring_invoices_generate
from ledger.services import exchange_rate_create
from tests.billing.factories import make_recurring
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

D = datetime.date
URL = "/api/v2/recurring-invoices"


def test_each_invoice_takes_the_rate_known_on_its_date():
    exchange_rate_create(currency="EUR", date=D(2024, 1, 1), rate=Decimal("1.100000"))
    exchange_rate_create(currency="EUR", date=D(2024, 2, 15), rate=Decimal("1.200000"))
    customer = CustomerFactory(currency="EUR")
    schedule = make_recurring(customer=customer, start_date=D(2024, 1, 31))

    recurring_invoices_generate(on_date=D(2024, 3, 31))

    invoices = Invoice.objects.filter(recurring_invoice=schedule).order_by("date")
    assert [(i.date, i.currency, i.exchange_rate) for i in invoices] == [
        (D(2024, 1, 31), "EUR", Decimal("1.100000")),
        (D(2024, 2, 29), "EUR", Decimal("1.200000")),
        (D(2024, 3, 31), "EUR", Decimal("1.200000")),
    ]


def test_a_schedule_with_a_fixed_rate_issues_at_that_rate():
    customer = CustomerFactory(currency="CHF")
    schedule = make_recurring(customer=customer, start_date=D(2024, 1, 31))
    schedule.exchange_rate = Decimal("1.130000")
    schedule.save(update_fields=["exchange_rate"])

    recurring_invoices_generate(on_date=D(2024, 1, 31))

    invoice = Invoice.objects.get(recurring_invoice=schedule)
    assert (invoice.currency, invoice.exchange_rate) == ("CHF", Decimal("1.130000"))


def test_no_rate_known_skips_the_schedule_and_issues_the_others():
    stuck = make_recurring(customer=CustomerFactory(currency="GBP"), start_date=D(2024, 1, 31))
    fine = make_recurring(start_date=D(2024, 1, 31))

    run = recurring_invoices_generate(on_date=D(2024, 1, 31))

    assert not Invoice.objects.filter(recurring_invoice=stuck).exists()
    assert Invoice.objects.filter(recurring_invoice=fine).count() == 1
    assert len(run.failed) == 1 and f"#{stuck.pk}" in run.failed[0]


def test_the_api_refuses_a_lower_case_currency_and_writes_nothing(api):
    customer = CustomerFactory()
    body = {
        "customer_id": customer.pk,
        "frequency": "monthly",
        "start_date": "2024-01-31",
        "currency": "eur",
        "items": [{"description": "Retainer", "amount": 100, "qty": 1}],
    }

    response = api.post(URL, body, format="json")

    assert response.status_code == 400
    assert "currency" in response.json()["errors"]
    assert not customer.recurring_invoices.exists()


def test_the_api_shows_and_takes_a_fixed_rate(api):
    customer = CustomerFactory(currency="EUR")
    body = {
        "customer_id": customer.pk,
        "frequency": "monthly",
        "start_date": "2024-01-31",
        "exchange_rate": 1.05,
        "items": [{"description": "Retainer", "amount": 100, "qty": 1}],
    }

    response = api.post(URL, body, format="json")

    assert response.status_code == 201, response.json()
    assert (response.json()["data"]["currency"], response.json()["data"]["exchange_rate"]) == (
        "EUR",
        1.05,
    )
