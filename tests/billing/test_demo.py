import io

import pytest
from django.core.management import call_command

from billing import demo
from billing.models import CreditNote, Invoice, Payment, Product, Quote
from customers import demo as customers_demo

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded():
    customers_demo.load(size="small", stdout=io.StringIO())
    return demo.load(size="small", stdout=io.StringIO())


def test_demo_has_invoices_in_every_state(loaded):
    statuses = set(Invoice.objects.values_list("status", flat=True))

    assert statuses == {"Paid", "Partially Paid", "Unpaid", "Draft", "Cancelled"}
    assert any(invoice.is_overdue for invoice in Invoice.objects.all())
    assert any(not invoice.is_overdue for invoice in Invoice.objects.filter(status="Unpaid"))


def test_demo_quotes_cover_every_status(loaded):
    statuses = {quote.effective_status() for quote in Quote.objects.all()}

    assert statuses == {"Draft", "Sent", "Accepted", "Declined", "Expired", "Converted"}


def test_demo_money_adds_up(loaded):
    for invoice in Invoice.objects.all():
        paid = sum(p.amount for p in invoice.payments.active())
        credited = sum(c.total for c in invoice.credit_notes.all())
        owed = max(invoice.total - paid - credited, 0)
        assert (invoice.amount_paid, invoice.amount_credited) == (paid, credited)
        assert invoice.balance_due == (0 if invoice.status in ("Draft", "Cancelled") else owed)
        assert invoice.total == invoice.subtotal - invoice.discount + invoice.tax


def test_demo_has_a_refunded_credit_note(loaded):
    note = CreditNote.objects.get()

    assert (note.settlement, note.settled_amount) == ("refund", note.total)
    assert note.transaction.type == "Expense"


def test_demo_is_idempotent(loaded):
    counts = (Product.objects.count(), Invoice.objects.count(), Quote.objects.count())

    summary = demo.load(size="small", stdout=io.StringIO())

    assert summary.startswith("0 invoices, 0 credit note(s) and 0 quotes created")
    assert (Product.objects.count(), Invoice.objects.count(), Quote.objects.count()) == counts
    assert Payment.objects.count() == 8


def test_seed_demo_runs_billing(db):
    out = io.StringIO()

    call_command("seed_demo", stdout=out)

    assert "billing: 11 invoices, 1 credit note(s) and 6 quotes created" in out.getvalue()
