"""Contract section 13 on documents: ISO 4217 codes everywhere, the customer's currency as the
default, a rate of 6 decimals taken from the exchange rates when none is given (none known: a
400 on `exchange_rate`), issued documents keeping theirs, credit notes taking their invoice's,
payments only into an account of the invoice's currency. A refused request changes nothing."""

import datetime
from decimal import Decimal

import pytest

from billing import services
from billing.models import CreditNote, Invoice, Payment, Quote
from core.currencies import CURRENCY_INVALID
from customers.models import Customer
from ledger.models import ExchangeRate, Transaction
from tests.billing.factories import AccountFactory, item, make_invoice, make_payment
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

BAD_CODES = ["eur", "€", "XXX-unknown", "EURO", "ABC", "", " EUR", 978, None]


def rate(currency: str, day: str, value: str) -> ExchangeRate:
    return ExchangeRate.objects.create(
        currency=currency, date=datetime.date.fromisoformat(day), rate=Decimal(value)
    )


def post_invoice(api, customer, **extra):
    body = {
        "customer_id": customer.pk,
        "date": "2024-03-10",
        "items": [{"description": "Work", "amount": "100.00"}],
        **extra,
    }
    return api.post("/api/v2/invoices", body, format="json")


@pytest.fixture
def chf_customer():
    return CustomerFactory(currency="CHF")


# --- codes --------------------------------------------------------------------------------


@pytest.mark.parametrize("code", BAD_CODES)
def test_a_customer_currency_must_be_an_iso_code_in_capitals(api, code):
    body = {"account": "Zurich AG", "email": "zurich@example.com", "currency": code}

    response = api.post("/api/v2/customers", body, format="json")

    assert response.status_code == 400
    assert "currency" in response.json()["errors"]
    assert not Customer.objects.exists()


def test_a_customer_is_billed_in_the_base_currency_unless_told(api):
    body = {"account": "Home Co", "email": "home@example.com"}
    chf = {"account": "Zurich AG", "email": "zurich@example.com", "currency": "CHF"}

    assert api.post("/api/v2/customers", body, format="json").json()["data"]["currency"] == "USD"
    assert api.post("/api/v2/customers", chf, format="json").json()["data"]["currency"] == "CHF"


@pytest.mark.parametrize("code", ["eur", "€", "XXX-unknown"])
def test_an_invoice_currency_must_be_an_iso_code_in_capitals(api, chf_customer, code):
    response = post_invoice(api, chf_customer, currency=code)

    assert response.status_code == 400
    assert response.json()["errors"] == {"currency": CURRENCY_INVALID}
    assert not Invoice.objects.exists()


@pytest.mark.parametrize("code", ["eur", "€", "XXX-unknown"])
def test_an_account_currency_must_be_an_iso_code_in_capitals(api, code):
    response = api.post("/api/v2/accounts", {"name": "Bank", "currency": code}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"currency": CURRENCY_INVALID}


# --- defaults and rates -----------------------------------------------------------------------


def test_an_invoice_takes_its_customers_currency_and_the_latest_rate_on_or_before_its_date(
    api, chf_customer
):
    rate("CHF", "2024-03-01", "1.105")
    rate("CHF", "2024-03-10", "1.123456")
    rate("CHF", "2024-03-11", "1.5")
    rate("EUR", "2024-03-10", "1.08")

    data = post_invoice(api, chf_customer).json()["data"]

    assert (data["currency"], data["exchange_rate"]) == ("CHF", 1.123456)
    assert Invoice.objects.get().exchange_rate == Decimal("1.123456")


def test_a_base_currency_invoice_has_rate_1(api):
    data = post_invoice(api, CustomerFactory()).json()["data"]

    assert (data["currency"], data["exchange_rate"]) == ("USD", 1)


def test_a_base_currency_invoice_refuses_any_other_rate(api):
    response = post_invoice(api, CustomerFactory(), exchange_rate=1.2)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["exchange_rate"]
    assert not Invoice.objects.exists()


def test_a_foreign_currency_invoice_without_a_known_rate_is_a_400_on_exchange_rate(
    api, chf_customer
):
    rate("CHF", "2024-03-11", "1.1")  # after the invoice's date: not usable

    response = post_invoice(api, chf_customer)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["exchange_rate"]
    assert "CHF" in response.json()["errors"]["exchange_rate"]
    assert not Invoice.objects.exists()


def test_a_given_rate_is_stored_with_its_six_decimals(api, chf_customer):
    data = post_invoice(api, chf_customer, currency="EUR", exchange_rate="1.082346").json()

    assert (data["data"]["currency"], data["data"]["exchange_rate"]) == ("EUR", 1.082346)
    assert Invoice.objects.get().exchange_rate == Decimal("1.082346")


def test_a_rate_with_more_than_six_decimals_is_refused_not_rounded(api, chf_customer):
    response = post_invoice(api, chf_customer, exchange_rate="1.0823456")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["exchange_rate"]
    assert not Invoice.objects.exists()


@pytest.mark.parametrize("value", [0, -1, "abc", True])
def test_a_rate_must_be_a_positive_number(api, chf_customer, value):
    response = post_invoice(api, chf_customer, exchange_rate=value)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["exchange_rate"]
    assert not Invoice.objects.exists()


def test_an_issued_invoice_keeps_its_rate_when_newer_rates_arrive(api, chf_customer):
    rate("CHF", "2024-03-01", "1.10")
    invoice_id = post_invoice(api, chf_customer).json()["data"]["id"]
    rate("CHF", "2024-03-05", "1.30")  # a correction dated before the invoice

    data = api.get(f"/api/v2/invoices/{invoice_id}").json()["data"]

    assert data["exchange_rate"] == 1.1


@pytest.mark.parametrize("change", [{"exchange_rate": 1.2}, {"currency": "EUR"}])
def test_an_issued_invoices_currency_and_rate_are_frozen(api, chf_customer, change):
    rate("CHF", "2024-03-01", "1.10")
    invoice_id = post_invoice(api, chf_customer).json()["data"]["id"]

    response = api.patch(f"/api/v2/invoices/{invoice_id}", change, format="json")

    assert response.status_code == 409
    invoice = Invoice.objects.get()
    assert (invoice.currency, invoice.exchange_rate) == ("CHF", Decimal("1.10"))


def test_a_drafts_new_date_takes_the_rate_of_that_date(api, chf_customer):
    rate("CHF", "2024-03-01", "1.10")
    rate("CHF", "2024-04-01", "1.20")
    invoice_id = post_invoice(api, chf_customer, status="Draft").json()["data"]["id"]

    response = api.patch(
        f"/api/v2/invoices/{invoice_id}",
        {"date": "2024-04-02", "due_date": "2024-05-02"},
        format="json",
    )

    assert response.json()["data"]["exchange_rate"] == 1.2


def test_a_quote_has_the_customers_currency_and_its_invoice_keeps_it(api, chf_customer):
    rate("CHF", "2024-03-01", "1.10")
    body = {
        "customer_id": chf_customer.pk,
        "date": "2024-03-10",
        "valid_until": "2099-01-01",
        "items": [{"description": "Work", "amount": "100.00"}],
    }
    quote = api.post("/api/v2/quotes", body, format="json").json()["data"]
    rate("CHF", "2024-06-01", "1.25")

    invoice = api.post(
        f"/api/v2/quotes/{quote['id']}/convert",
        {"date": "2024-06-02", "due_date": "2024-07-02"},
        format="json",
    ).json()["data"]

    assert (quote["currency"], quote["exchange_rate"]) == ("CHF", 1.1)
    assert (invoice["currency"], invoice["exchange_rate"]) == ("CHF", 1.25)


def test_a_quote_without_a_known_rate_is_a_400_on_exchange_rate(api, chf_customer):
    body = {
        "customer_id": chf_customer.pk,
        "date": "2024-03-10",
        "items": [{"description": "Work", "amount": "100.00"}],
    }

    response = api.post("/api/v2/quotes", body, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["exchange_rate"]
    assert not Quote.objects.exists()


def test_a_credit_note_takes_its_invoices_currency_and_rate(api, chf_customer):
    rate("CHF", "2024-03-01", "1.10")
    invoice_id = post_invoice(api, chf_customer).json()["data"]["id"]
    rate("CHF", "2024-03-20", "1.40")

    response = api.post(
        "/api/v2/credit-notes",
        {
            "invoice_id": invoice_id,
            "date": "2024-03-25",
            "reason": "Discount agreed",
            "items": [{"description": "Work", "amount": "10.00"}],
        },
        format="json",
    )

    data = response.json()["data"]
    assert response.status_code == 201, data
    assert (data["currency"], data["exchange_rate"]) == ("CHF", 1.1)


# --- payments ---------------------------------------------------------------------------------


def chf_invoice(customer) -> Invoice:
    rate("CHF", "2024-01-01", "1.10")
    return make_invoice(customer=customer, items=[item("100.00")])


def test_a_payment_into_an_account_of_another_currency_is_a_400_naming_both(api, chf_customer):
    invoice = chf_invoice(chf_customer)
    usd = AccountFactory(name="Checking", currency="USD")

    response = api.post(
        f"/api/v2/invoices/{invoice.pk}/payments",
        {"amount": "50.00", "date": "2024-01-20", "account_id": usd.pk},
        format="json",
    )

    assert response.status_code == 400
    message = response.json()["errors"]["account_id"]
    assert "CHF" in message and "USD" in message
    invoice.refresh_from_db()
    assert (invoice.amount_paid, invoice.balance_due) == (Decimal("0.00"), Decimal("100.00"))
    assert not Payment.objects.exists() and not Transaction.objects.exists()


def test_a_payment_into_an_account_of_the_invoices_currency_is_booked_at_its_dates_rate(
    api, chf_customer
):
    invoice = chf_invoice(chf_customer)
    rate("CHF", "2024-01-18", "1.12")
    chf = AccountFactory(currency="CHF")

    response = api.post(
        f"/api/v2/invoices/{invoice.pk}/payments",
        {"amount": "50.00", "date": "2024-01-20", "account_id": chf.pk},
        format="json",
    )

    assert response.status_code == 201
    txn = Transaction.objects.get()
    assert (txn.account_id, txn.amount, txn.exchange_rate) == (
        chf.pk,
        Decimal("50.00"),
        Decimal("1.12"),
    )


def test_a_refund_from_an_account_of_another_currency_is_a_400(api, chf_customer):
    invoice = chf_invoice(chf_customer)
    make_payment(invoice, "100.00", account=AccountFactory(currency="CHF"))

    response = api.post(
        "/api/v2/credit-notes",
        {
            "invoice_id": invoice.pk,
            "date": "2024-01-25",
            "reason": "Returned",
            "items": [{"description": "Work", "amount": "40.00"}],
            "settlement": "refund",
            "account_id": AccountFactory(currency="EUR").pk,
        },
        format="json",
    )

    assert response.status_code == 400
    assert "EUR" in response.json()["errors"]["account_id"]
    assert not CreditNote.objects.exists()
    assert Transaction.objects.count() == 1  # the payment's only


def test_credit_in_the_customers_currency_cannot_pay_an_invoice_in_another(api, chf_customer):
    rate("EUR", "2024-01-01", "1.08")
    chf_customer.credit_balance = Decimal("500.00")
    chf_customer.save()
    invoice = services_invoice_in(chf_customer, "EUR")

    response = api.post(
        f"/api/v2/invoices/{invoice.pk}/payments",
        {"amount": "50.00", "date": "2024-01-20", "source": "credit"},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["source"]
    chf_customer.refresh_from_db()
    assert chf_customer.credit_balance == Decimal("500.00")


def services_invoice_in(customer, currency: str) -> Invoice:
    return services.invoice_create(
        customer=customer,
        items=[item("100.00")],
        date=datetime.date(2024, 1, 15),
        currency=currency,
    )


def test_a_customer_with_credit_keeps_its_currency(api, chf_customer):
    chf_customer.credit_balance = Decimal("5.00")
    chf_customer.save()

    response = api.patch(f"/api/v2/customers/{chf_customer.pk}", {"currency": "EUR"}, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["currency"]
    chf_customer.refresh_from_db()
    assert chf_customer.currency == "CHF"
