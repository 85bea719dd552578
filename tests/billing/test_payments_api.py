import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import Payment
from ledger.models import Transaction
from tests.billing.factories import AccountFactory, item, make_invoice, make_payment
from webhooks.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def account():
    return AccountFactory(name="Business Checking")


@pytest.fixture
def invoice():
    return make_invoice(items=[item("1000.00")], date=datetime.date(2024, 1, 15))


def pay(api, invoice, account, amount, **extra):
    return api.post(
        f"/api/v2/invoices/{invoice.pk}/payments",
        {"amount": amount, "date": "2024-01-20", "account_id": account.pk, **extra},
        format="json",
    )


def test_partial_payment_returns_payment_and_invoice_state(api, invoice, account):
    response = pay(api, invoice, account, 400, method="card", note="First half")

    data = response.json()["data"]
    assert response.status_code == 201
    assert (data["amount"], data["date"], data["account_id"]) == (400, "2024-01-20", account.pk)
    assert (data["method"], data["note"], data["voided_at"]) == ("card", "First half", None)
    assert data["invoice"] == {
        "id": invoice.pk,
        "invoice_number": invoice.invoice_number,
        "status": "Partially Paid",
        "amount": 1000,
        "amount_paid": 400,
        "amount_credited": 0,
        "balance_due": 600,
    }


def test_payment_creates_an_income_transaction_on_the_account(api, invoice, account):
    data = pay(api, invoice, account, "250.50").json()["data"]

    txn = Transaction.objects.get()
    assert data["transaction_id"] == txn.pk
    assert (txn.type, txn.account_id, txn.amount, txn.date) == (
        "Income",
        account.pk,
        Decimal("250.50"),
        datetime.date(2024, 1, 20),
    )
    assert txn.payment.invoice_id == invoice.pk


def test_full_payment_marks_paid_and_announces_it(api, invoice, account):
    pay(api, invoice, account, 600)
    data = pay(api, invoice, account, 400).json()["data"]

    assert (data["invoice"]["status"], data["invoice"]["balance_due"]) == ("Paid", 0)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid) == ("Paid", Decimal("1000.00"))
    assert Event.objects.filter(type="payment.received").count() == 2
    paid_events = Event.objects.filter(type="invoice.paid")
    assert [e.data["invoice_number"] for e in paid_events] == [invoice.invoice_number]


def test_payment_received_event_carries_the_payment(api, invoice, account):
    pay(api, invoice, account, 100)

    event = Event.objects.get(type="payment.received")
    assert (event.data["amount"], event.data["invoice_id"]) == (100.0, invoice.pk)


def test_overpayment_is_rejected_on_amount(api, invoice, account):
    pay(api, invoice, account, 900)

    response = pay(api, invoice, account, "100.01")

    assert response.status_code == 400
    assert response.json()["errors"] == {"amount": "Amount is more than the balance due (100.00)."}
    invoice.refresh_from_db()
    assert (invoice.amount_paid, invoice.status) == (Decimal("900.00"), "Partially Paid")
    assert Payment.objects.count() == 1
    assert Transaction.objects.count() == 1


def test_paid_invoice_takes_no_more_payments(api, invoice, account):
    pay(api, invoice, account, 1000)

    response = pay(api, invoice, account, 1)

    assert response.status_code == 400
    assert response.json()["errors"] == {"amount": "This invoice is already paid in full."}


def test_amount_must_be_positive(api, invoice, account):
    response = pay(api, invoice, account, 0)

    assert response.status_code == 400
    assert response.json()["errors"] == {"amount": "Amount must be greater than 0"}
    assert Payment.objects.count() == 0


def test_unknown_account_is_an_error_on_account_id(api, invoice):
    response = api.post(
        f"/api/v2/invoices/{invoice.pk}/payments", {"amount": 10, "account_id": 77}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"account_id": "Account 77 does not exist."}


def test_date_defaults_to_today(api, invoice, account):
    response = api.post(
        f"/api/v2/invoices/{invoice.pk}/payments",
        {"amount": 10, "account_id": account.pk},
        format="json",
    )

    assert response.json()["data"]["date"] == timezone.localdate().isoformat()


def test_draft_invoice_cannot_be_paid(api, account):
    draft = make_invoice(status="Draft")

    response = pay(api, draft, account, 10)

    assert response.status_code == 409
    assert response.json()["message"] == "A Draft invoice cannot receive payments."
    assert Payment.objects.count() == 0


def test_cancelled_invoice_cannot_be_paid(api, invoice, account):
    api.post(f"/api/v2/invoices/{invoice.pk}/cancel", {"reason": "Wrong customer"}, format="json")

    response = pay(api, invoice, account, 10)

    assert response.status_code == 409
    assert Transaction.objects.count() == 0


def test_payment_on_unknown_invoice_is_404(api, account):
    response = api.post(
        "/api/v2/invoices/999/payments", {"amount": 1, "account_id": account.pk}, format="json"
    )

    assert response.status_code == 404


def test_list_payments(api, invoice, account):
    pay(api, invoice, account, 100)
    pay(api, invoice, account, 200)

    response = api.get(f"/api/v2/invoices/{invoice.pk}/payments")

    body = response.json()
    assert [p["amount"] for p in body["data"]] == [100, 200]
    assert body["meta"]["total_records"] == 2


def test_viewer_can_list_but_not_pay(client_for, invoice, account):
    viewer = client_for("viewer")

    assert viewer.get(f"/api/v2/invoices/{invoice.pk}/payments").status_code == 200
    assert pay(viewer, invoice, account, 10).status_code == 403
    assert Payment.objects.count() == 0


def test_void_payment_puts_the_invoice_back(api, invoice, account):
    first = pay(api, invoice, account, 400).json()["data"]
    pay(api, invoice, account, 600)

    response = api.post(f"/api/v2/invoices/{invoice.pk}/payments/{first['id']}/void")

    data = response.json()["data"]
    assert response.status_code == 200
    assert data["voided_at"] is not None
    assert data["invoice"]["status"] == "Partially Paid"
    assert (data["invoice"]["amount_paid"], data["invoice"]["balance_due"]) == (600, 400)
    txn = Transaction.objects.get(pk=first["transaction_id"])
    assert txn.voided_at is not None


def test_voiding_the_only_payment_makes_it_unpaid(api, invoice, account):
    payment = pay(api, invoice, account, 1000).json()["data"]

    data = api.post(f"/api/v2/invoices/{invoice.pk}/payments/{payment['id']}/void").json()

    assert (data["data"]["invoice"]["status"], data["data"]["invoice"]["balance_due"]) == (
        "Unpaid",
        1000,
    )


def test_voided_amount_can_be_paid_again(api, invoice, account):
    payment = pay(api, invoice, account, 1000).json()["data"]
    api.post(f"/api/v2/invoices/{invoice.pk}/payments/{payment['id']}/void")

    response = pay(api, invoice, account, 1000)

    assert response.status_code == 201
    assert response.json()["data"]["invoice"]["status"] == "Paid"


def test_second_void_is_409(api, invoice, account):
    payment = pay(api, invoice, account, 10).json()["data"]
    api.post(f"/api/v2/invoices/{invoice.pk}/payments/{payment['id']}/void")

    response = api.post(f"/api/v2/invoices/{invoice.pk}/payments/{payment['id']}/void")

    assert response.status_code == 409
    assert response.json()["message"] == "This payment is already voided."


def test_void_payment_of_another_invoice_is_404(api, invoice, account):
    other = make_invoice(items=[item("10")])
    payment = make_payment(other, "10", account=account)

    response = api.post(f"/api/v2/invoices/{invoice.pk}/payments/{payment.pk}/void")

    assert response.status_code == 404
    payment.refresh_from_db()
    assert payment.voided_at is None


def test_status_follows_the_sum_not_increments(api, invoice, account):
    # Whatever order payments and voids come in, the invoice shows the sum of live payments.
    a = pay(api, invoice, account, 300).json()["data"]
    pay(api, invoice, account, 300)
    api.post(f"/api/v2/invoices/{invoice.pk}/payments/{a['id']}/void")
    pay(api, invoice, account, 700)

    invoice.refresh_from_db()
    assert (invoice.amount_paid, invoice.balance_due, invoice.status) == (
        Decimal("1000.00"),
        Decimal("0.00"),
        "Paid",
    )


def test_payment_refreshes_rollups_for_invoice_and_payment_dates(
    api, invoice, account, monkeypatch
):
    calls = []
    monkeypatch.setattr("billing.services.money_moved", lambda **kw: calls.append(kw))

    pay(api, invoice, account, 10, date="2024-03-01")

    assert calls == [{"dates": [datetime.date(2024, 1, 15), datetime.date(2024, 3, 1)]}]


def test_void_refreshes_rollups(api, invoice, account, monkeypatch):
    payment = make_payment(invoice, "10", account=account)
    calls = []
    monkeypatch.setattr("billing.services.money_moved", lambda **kw: calls.append(kw))

    api.post(f"/api/v2/invoices/{invoice.pk}/payments/{payment.pk}/void")

    assert calls == [{"dates": [datetime.date(2024, 1, 15), datetime.date(2024, 1, 20)]}]


def test_payment_events_commit_with_the_payment(api, invoice, account):
    pay(api, invoice, account, 5000)  # refused: nothing of it may remain

    assert Event.objects.filter(type__in=["payment.received", "invoice.paid"]).count() == 0
