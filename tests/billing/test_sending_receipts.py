"""Receipts: recording a payment (API or admin) queues one to the customer, in the payment's
transaction, when `EMAIL_PAYMENT_RECEIPTS` is true; a receipt never refuses a payment."""

import datetime

import pytest

from billing import receipts
from billing.models import Payment
from customers.models import Customer
from mail.models import EmailMessage
from tests.billing.factories import AccountFactory, item, make_invoice, make_payment
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mail_settings")]


@pytest.fixture
def invoice():
    return make_invoice(
        customer=CustomerFactory(account="Jane Doe Ltd", email="jane@example.com"),
        items=[item("1500.00")],
        date=datetime.date(2026, 3, 1),
    )


def pay(api, invoice, amount="500.00"):
    return api.post(
        f"/api/v2/invoices/{invoice.pk}/payments",
        {"amount": amount, "date": "2026-03-10", "account_id": AccountFactory().pk},
        format="json",
    )


def test_a_payment_through_the_api_queues_one_receipt(api, invoice):
    response = pay(api, invoice)

    assert response.status_code == 201
    payment_id = response.json()["data"]["id"]
    [message] = EmailMessage.objects.all()
    assert message.to == ["jane@example.com"]
    assert message.purpose == "receipt"
    assert message.dedupe_key == f"receipt:{payment_id}"
    assert (message.invoice_id, message.customer_id) == (invoice.pk, invoice.customer_id)


def test_receipts_switched_off_queue_nothing(api, invoice, settings):
    settings.EMAIL_PAYMENT_RECEIPTS = False

    assert pay(api, invoice).status_code == 201

    assert EmailMessage.objects.count() == 0


def test_without_sending_configured_the_payment_is_recorded_without_a_receipt(
    api, invoice, settings
):
    settings.EMAIL_ENABLED = False

    assert pay(api, invoice).status_code == 201

    assert Payment.objects.count() == 1
    assert EmailMessage.objects.count() == 0


def test_a_customer_without_email_gets_no_receipt_and_the_payment_stands(api, invoice):
    Customer.objects.filter(pk=invoice.customer_id).update(email="")

    assert pay(api, invoice).status_code == 201

    assert Payment.objects.count() == 1
    assert EmailMessage.objects.count() == 0


def test_a_refused_payment_queues_no_receipt(api, invoice):
    response = pay(api, invoice, amount="2000.00")

    assert response.status_code == 400
    assert Payment.objects.count() == 0
    assert EmailMessage.objects.count() == 0


def test_one_receipt_per_payment_even_if_asked_again(invoice):
    payment = make_payment(invoice, "100.00", date=datetime.date(2026, 3, 10))

    assert receipts.payment_receipt_queue(payment=payment) is None

    assert EmailMessage.objects.filter(purpose="receipt").count() == 1


def test_each_payment_gets_its_own_receipt(invoice):
    make_payment(invoice, "100.00", date=datetime.date(2026, 3, 10))
    make_payment(invoice, "200.00", date=datetime.date(2026, 3, 11))

    assert EmailMessage.objects.filter(purpose="receipt").count() == 2
