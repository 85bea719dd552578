"""Contract section 8: credit notes (numbering, limits, settlement as refund or credit,
status), payments from customer credit, and their audit entries and closed-books checks."""

import datetime
from decimal import Decimal

import pytest

from audit.models import AuditEvent
from audit.services import books_update
from billing.models import CreditNote, Invoice, Payment
from ledger.models import Transaction
from tests.billing.factories import AccountFactory, item, make_invoice, make_payment
from webhooks.models import Event

pytestmark = pytest.mark.django_db

URL = "/api/v2/credit-notes"


def lines(amount, tax_rate=0, qty=1):
    return [{"description": "Returned", "amount": amount, "qty": qty, "tax_rate": tax_rate}]


def credit(api, invoice, amount, **extra):
    payload = {"invoice_id": invoice.pk, "items": lines(amount), "reason": "Returned goods"}
    payload.setdefault("date", "2024-02-01")
    return api.post(URL, {**payload, **extra}, format="json")


def state(invoice: Invoice) -> tuple:
    invoice.refresh_from_db()
    return (
        invoice.status,
        invoice.amount_paid,
        invoice.amount_credited,
        invoice.balance_due,
    )


def nothing_written(invoice, before, notes_before=0) -> None:
    assert state(invoice) == before
    assert CreditNote.objects.count() == notes_before


@pytest.fixture
def invoice():
    return make_invoice(items=[item("100")], date=datetime.date(2024, 1, 15))


def test_credit_note_reduces_what_is_owed(api, invoice):
    response = credit(api, invoice, 30)

    data = response.json()["data"]
    assert response.status_code == 201
    assert (data["credit_note_number"], data["invoice_id"], data["customer_id"]) == (
        "CN-2024-001",
        invoice.pk,
        invoice.customer_id,
    )
    assert (data["subtotal"], data["tax"], data["amount"], data["currency"]) == (30, 0, 30, "USD")
    assert (data["settlement"], data["settled_amount"]) == (None, 0)
    assert state(invoice) == ("Partially Paid", Decimal("0.00"), Decimal("30.00"), Decimal("70.00"))


def test_credit_note_of_the_whole_amount_makes_it_paid(api, invoice):
    credit(api, invoice, 100)

    assert state(invoice) == ("Paid", Decimal("0.00"), Decimal("100.00"), Decimal("0.00"))
    assert [e.type for e in Event.objects.order_by("id")][-3:] == [
        "credit_note.created",
        "invoice.updated",
        "invoice.paid",
    ]


def test_credit_notes_have_their_own_gapless_sequence(api, invoice):
    numbers = [credit(api, invoice, 10).json()["data"]["credit_note_number"] for _ in range(3)]
    credit(api, invoice, 1000)  # refused: no number used

    assert numbers == ["CN-2024-001", "CN-2024-002", "CN-2024-003"]
    assert credit(api, invoice, 10).json()["data"]["credit_note_number"] == "CN-2024-004"


def test_credit_notes_never_exceed_the_invoice_amount(api, invoice):
    credit(api, invoice, 60)
    before = state(invoice)

    response = credit(api, invoice, 41)

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "items": "Credit notes cannot total more than the invoice's amount (100.00); "
        "40.00 is left to credit."
    }
    nothing_written(invoice, before, notes_before=1)


def test_a_draft_cannot_be_credited(api):
    draft = make_invoice(status="Draft")
    before = state(draft)

    response = credit(api, draft, 10)

    assert response.status_code == 409
    nothing_written(draft, before)


def test_a_cancelled_invoice_cannot_be_credited(api, invoice):
    api.post(f"/api/v2/invoices/{invoice.pk}/cancel", {"reason": "x"}, format="json")
    before = state(invoice)

    response = credit(api, invoice, 10)

    assert response.status_code == 409
    nothing_written(invoice, before)


def test_an_invoice_with_a_credit_note_cannot_be_cancelled(api, invoice):
    credit(api, invoice, 10)
    before = state(invoice)

    response = api.post(f"/api/v2/invoices/{invoice.pk}/cancel", {"reason": "x"}, format="json")

    assert response.status_code == 409
    assert state(invoice) == before


def test_reason_and_items_are_required(api, invoice):
    response = api.post(URL, {"invoice_id": invoice.pk}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "items": "This field is required.",
        "reason": "This field is required.",
    }
    nothing_written(invoice, state(invoice))


def test_the_paid_part_needs_a_settlement(api, invoice):
    make_payment(invoice, "100")
    before = state(invoice)

    response = credit(api, invoice, 30)

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "settlement": "30.00 of this credit was already paid: settle it as refund or credit."
    }
    nothing_written(invoice, before)


def test_a_refund_needs_an_account(api, invoice):
    make_payment(invoice, "100")
    before = state(invoice)

    response = credit(api, invoice, 30, settlement="refund")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["account_id"]
    nothing_written(invoice, before)
    assert Transaction.objects.filter(type="Expense").count() == 0


def test_refund_records_an_expense_owned_by_the_credit_note(api, invoice):
    make_payment(invoice, "80")
    account = AccountFactory()

    response = credit(api, invoice, 50, settlement="refund", account_id=account.pk)

    data = response.json()["data"]
    # 20 was still owed: 30 of the 50 is refunded.
    assert (data["settlement"], data["settled_amount"], data["account_id"]) == (
        "refund",
        30,
        account.pk,
    )
    txn = Transaction.objects.get(pk=data["transaction_id"])
    assert (txn.type, txn.amount, txn.account_id, txn.origin, txn.date) == (
        "Expense",
        Decimal("30.00"),
        account.pk,
        "credit_note",
        datetime.date(2024, 2, 1),
    )
    assert state(invoice) == ("Paid", Decimal("80.00"), Decimal("50.00"), Decimal("0.00"))
    balance = api.get(f"/api/v2/accounts/{account.pk}").json()["data"]["balance"]
    assert balance == -30


def test_the_refund_transaction_is_read_only(api, invoice):
    make_payment(invoice, "100")
    data = credit(api, invoice, 30, settlement="refund", account_id=AccountFactory().pk).json()
    txn_id = data["data"]["transaction_id"]

    patched = api.patch(f"/api/v2/transactions/{txn_id}", {"amount": 1}, format="json")
    deleted = api.delete(f"/api/v2/transactions/{txn_id}")

    assert (patched.status_code, deleted.status_code) == (409, 409)
    assert Transaction.objects.get(pk=txn_id).amount == Decimal("30.00")


def test_credit_settlement_adds_to_the_customers_credit_balance(api, invoice):
    make_payment(invoice, "100")

    data = credit(api, invoice, 40, settlement="credit").json()["data"]

    customer = api.get(f"/api/v2/customers/{invoice.customer_id}").json()["data"]
    assert (data["settlement"], data["settled_amount"], data["transaction_id"]) == (
        "credit",
        40,
        None,
    )
    assert customer["credit_balance"] == 40


def test_credit_balance_is_read_only_on_customers(api, invoice):
    response = api.patch(
        f"/api/v2/customers/{invoice.customer_id}", {"credit_balance": 500}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["data"]["credit_balance"] == 0


def test_list_retrieve_and_pdf(api, invoice, django_assert_max_num_queries):
    note = credit(api, invoice, 10).json()["data"]
    credit(api, invoice, 5)

    with django_assert_max_num_queries(12):
        listed = api.get(f"{URL}?invoice_id={invoice.pk}").json()
    one = api.get(f"{URL}/{note['id']}").json()["data"]
    pdf = api.get(f"{URL}/{note['id']}/pdf")

    assert [n["credit_note_number"] for n in listed["data"]] == ["CN-2024-002", "CN-2024-001"]
    assert listed["meta"]["total_records"] == 2
    assert one["items"][0]["description"] == "Returned"
    assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")
    assert pdf.content.startswith(b"%PDF-")


def test_credit_notes_are_never_edited_or_deleted(api, invoice):
    note = credit(api, invoice, 10).json()["data"]

    assert api.patch(f"{URL}/{note['id']}", {"reason": "x"}, format="json").status_code == 405
    assert api.delete(f"{URL}/{note['id']}").status_code == 405


def test_credit_note_dated_in_closed_books_is_409(api, invoice):
    books_update(closed_through=datetime.date(2024, 2, 29))
    before = state(invoice)

    response = credit(api, invoice, 10)

    assert response.status_code == 409
    assert response.json()["message"] == "The books are closed through 2024-02-29."
    nothing_written(invoice, before)


def test_credit_note_writes_its_audit_entries(api, invoice):
    make_payment(invoice, "100")
    start = AuditEvent.objects.count()

    credit(api, invoice, 30, settlement="credit")

    actions = list(AuditEvent.objects.order_by("id")[start:].values_list("action", flat=True))
    assert actions == ["customer.updated", "credit_note.created", "invoice.updated"]
    entry = AuditEvent.objects.get(action="credit_note.created")
    assert entry.changes["credit_note_number"] == [None, "CN-2024-001"]


# --- paying from customer credit -------------------------------------------------------------


def pay_from_credit(api, invoice, amount, **extra):
    return api.post(
        f"/api/v2/invoices/{invoice.pk}/payments",
        {"amount": amount, "date": "2024-02-10", "source": "credit", **extra},
        format="json",
    )


@pytest.fixture
def credited_customer(api, invoice):
    make_payment(invoice, "100")
    credit(api, invoice, 40, settlement="credit")
    return invoice.customer


def test_credit_pays_another_invoice_without_a_transaction(api, credited_customer):
    other = make_invoice(customer=credited_customer, items=[item("100")])
    transactions = Transaction.objects.count()

    response = pay_from_credit(api, other, 25)

    data = response.json()["data"]
    assert response.status_code == 201
    assert (data["source"], data["account_id"], data["transaction_id"]) == ("credit", None, None)
    assert state(other) == ("Partially Paid", Decimal("25.00"), Decimal("0.00"), Decimal("75.00"))
    credited_customer.refresh_from_db()
    assert credited_customer.credit_balance == Decimal("15.00")
    assert Transaction.objects.count() == transactions


def test_credit_short_is_400_on_amount(api, credited_customer):
    other = make_invoice(customer=credited_customer, items=[item("100")])
    before = state(other)

    response = pay_from_credit(api, other, 41)

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "amount": "The customer's credit balance (40.00) is less than this amount."
    }
    assert state(other) == before
    assert Payment.objects.filter(invoice=other).count() == 0


def test_a_credit_payment_takes_no_account(api, credited_customer):
    other = make_invoice(customer=credited_customer, items=[item("100")])

    response = pay_from_credit(api, other, 10, account_id=AccountFactory().pk)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["account_id"]
    assert Payment.objects.filter(invoice=other).count() == 0


def test_voiding_a_credit_payment_gives_the_credit_back(api, credited_customer):
    other = make_invoice(customer=credited_customer, items=[item("100")])
    payment = pay_from_credit(api, other, 25).json()["data"]

    response = api.post(f"/api/v2/invoices/{other.pk}/payments/{payment['id']}/void")

    assert response.status_code == 200
    credited_customer.refresh_from_db()
    assert credited_customer.credit_balance == Decimal("40.00")
    assert state(other) == ("Unpaid", Decimal("0.00"), Decimal("0.00"), Decimal("100.00"))


def test_an_account_payment_still_needs_an_account(api, invoice):
    response = api.post(
        f"/api/v2/invoices/{invoice.pk}/payments",
        {"amount": 10, "date": "2024-02-10"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"account_id": "This field is required."}
