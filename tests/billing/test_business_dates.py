"""Every billing date lies in the business date window (settings.BUSINESS_DATE_MIN/MAX):
9999-12-31 and 0001-01-01 are a 400 with one sentence, and nothing is written."""

import datetime

import pytest

from billing import services
from billing.models import DocumentCounter, Invoice, InvoiceItem, Payment, Quote
from core.errors import DomainValidationError
from ledger.models import Transaction
from tests.billing.factories import AccountFactory, item, make_invoice, make_quote
from tests.factories import CustomerFactory
from webhooks.models import Event

pytestmark = pytest.mark.django_db

OUT_OF_WINDOW = ["9999-12-31", "0001-01-01", "1899-12-31", "2200-01-01"]
SENTENCE = "Date must be between 1900-01-01 and 2199-12-31."


def snapshot():
    return (
        Invoice.objects.count(),
        InvoiceItem.objects.count(),
        Quote.objects.count(),
        Payment.objects.count(),
        Transaction.objects.count(),
        DocumentCounter.objects.count(),
        Event.objects.count(),
        list(Invoice.objects.values_list("date", "due_date").order_by("pk")),
        list(Quote.objects.values_list("date", "valid_until").order_by("pk")),
    )


def assert_refused(response, field: str):
    assert response.status_code == 400, response.content
    assert response.json()["errors"] == {field: SENTENCE}


def invoice_body(customer, **overrides):
    body = {
        "customer_id": customer.pk,
        "date": "2024-01-15",
        "due_date": "2024-02-15",
        "items": [{"description": "Work", "amount": 100, "qty": 1}],
    }
    return {**body, **overrides}


def quote_body(customer, **overrides):
    body = {
        "customer_id": customer.pk,
        "date": "2024-01-15",
        "valid_until": "2024-02-15",
        "items": [{"description": "Work", "amount": 100, "qty": 1}],
    }
    return {**body, **overrides}


@pytest.mark.parametrize("value", OUT_OF_WINDOW)
@pytest.mark.parametrize("field", ["date", "due_date"])
def test_invoice_create_refuses_dates_out_of_window(api, field, value):
    customer = CustomerFactory()
    # The other date is moved along, so only the window can refuse.
    body = invoice_body(customer, date=value, due_date=value)
    body[{"date": "due_date", "due_date": "date"}[field]] = "2024-01-15"
    if field == "date":
        body["due_date"] = "2199-12-31"
    before = snapshot()

    response = api.post("/api/v2/invoices", body, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][field] == SENTENCE
    assert snapshot() == before


@pytest.mark.parametrize("value", OUT_OF_WINDOW)
@pytest.mark.parametrize("field", ["date", "due_date"])
def test_invoice_update_refuses_dates_out_of_window(api, field, value):
    invoice = make_invoice()
    before = snapshot()

    response = api.patch(f"/api/v2/invoices/{invoice.pk}", {field: value}, format="json")

    assert_refused(response, field)
    assert snapshot() == before


@pytest.mark.parametrize("value", OUT_OF_WINDOW)
@pytest.mark.parametrize("field", ["date", "valid_until"])
def test_quote_create_refuses_dates_out_of_window(api, field, value):
    customer = CustomerFactory()
    body = quote_body(customer, **{field: value})
    if field == "date":
        body["valid_until"] = "2199-12-31"
    before = snapshot()

    response = api.post("/api/v2/quotes", body, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][field] == SENTENCE
    assert snapshot() == before


@pytest.mark.parametrize("value", OUT_OF_WINDOW)
@pytest.mark.parametrize("field", ["date", "valid_until"])
def test_quote_update_refuses_dates_out_of_window(api, field, value):
    quote = make_quote(date=datetime.date(2024, 1, 1), valid_until=datetime.date(2099, 1, 1))
    before = snapshot()

    response = api.patch(f"/api/v2/quotes/{quote.pk}", {field: value}, format="json")

    assert_refused(response, field)
    assert snapshot() == before


@pytest.mark.parametrize("value", OUT_OF_WINDOW)
@pytest.mark.parametrize("field", ["date", "due_date"])
def test_quote_convert_refuses_dates_out_of_window(api, field, value):
    quote = make_quote(date=datetime.date(2024, 1, 1), valid_until=datetime.date(2099, 1, 1))
    before = snapshot()

    response = api.post(f"/api/v2/quotes/{quote.pk}/convert", {field: value}, format="json")

    assert_refused(response, field)
    assert snapshot() == before


@pytest.mark.parametrize("value", OUT_OF_WINDOW)
def test_payment_refuses_a_date_out_of_window(api, value):
    invoice = make_invoice(items=[item("10")])
    account = AccountFactory()
    before = snapshot()

    response = api.post(
        f"/api/v2/invoices/{invoice.pk}/payments",
        {"amount": "5.00", "date": value, "account_id": account.pk},
        format="json",
    )

    assert_refused(response, "date")
    assert snapshot() == before


@pytest.mark.parametrize("path", ["invoices", "quotes"])
@pytest.mark.parametrize("name", ["date_from", "date_to"])
@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01"])
def test_date_filters_refuse_dates_out_of_window(api, path, name, value):
    response = api.get(f"/api/v2/{path}?{name}={value}")

    assert_refused(response, name)


def test_window_edges_are_accepted(api):
    customer = CustomerFactory()

    response = api.post(
        "/api/v2/invoices",
        invoice_body(customer, date="1900-01-01", due_date="2199-12-31"),
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["data"]["invoice_number"] == "INV-1900-001"


def test_services_refuse_out_of_window_dates_for_every_caller():
    # The admin, commands and demo data reach the same service: a year-1 quote (which
    # would be numbered QUO-1-001) is refused there too.
    with pytest.raises(DomainValidationError) as refused:
        services.quote_create(
            customer=CustomerFactory(),
            items=[item()],
            date=datetime.date(1, 1, 1),
            valid_until=datetime.date(2024, 1, 1),
        )

    assert refused.value.errors == {"date": SENTENCE}
    assert DocumentCounter.objects.count() == 0


def test_the_window_follows_the_setting(api, settings):
    settings.BUSINESS_DATE_MIN = datetime.date(2000, 1, 1)
    customer = CustomerFactory()

    response = api.post(
        "/api/v2/invoices", invoice_body(customer, date="1999-12-31"), format="json"
    )

    assert response.json()["errors"] == {"date": "Date must be between 2000-01-01 and 2199-12-31."}
