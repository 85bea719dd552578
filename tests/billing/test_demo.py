import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from billing import demo
from billing.models import CreditNote, Invoice, Payment, Product, Quote, RecurringInvoice
from billing.recurring import recurring_invoice_preview
from customers import demo as customers_demo
from customers.models import Customer
from ledger.models import ExchangeRate
from mail.models import EmailMessage

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

    assert summary.startswith(
        "0 invoices, 0 credit note(s), 0 quotes and 0 recurring schedule(s) created"
    )
    assert (Product.objects.count(), Invoice.objects.count(), Quote.objects.count()) == counts
    assert Payment.objects.count() == 8
    assert (RecurringInvoice.objects.count(), ExchangeRate.objects.count()) == (2, 1)


def test_seed_demo_runs_billing(db):
    out = io.StringIO()

    call_command("seed_demo", stdout=out)

    assert (
        "billing: 12 invoices, 1 credit note(s), 6 quotes and 2 recurring schedule(s) created"
        in out.getvalue()
    )


def test_demo_has_a_monthly_retainer_from_the_31st(loaded):
    retainer = RecurringInvoice.objects.get(notes=demo.RETAINER)

    assert (retainer.frequency, retainer.start_date.day, retainer.status) == (
        "monthly",
        31,
        "active",
    )
    assert retainer.start_date >= timezone.localdate()  # loading issues nothing from it
    assert retainer.invoices_count == 0


def test_demo_bills_the_euro_customer_in_euros_at_the_seeded_rate(loaded):
    customer = Customer.objects.get(email=customers_demo.EURO_EMAIL)
    invoice = Invoice.objects.get(customer=customer)
    schedule = RecurringInvoice.objects.get(customer=customer)

    assert customer.currency == "EUR"
    assert (invoice.currency, invoice.exchange_rate, invoice.status) == (
        "EUR",
        demo.EURO_RATE,
        "Unpaid",
    )
    assert invoice.invoice_number
    assert schedule.currency == "EUR"
    # The schedule's first invoice would take the seeded rate: it can be issued.
    preview = recurring_invoice_preview(recurring_invoice=schedule)
    assert (preview.currency, preview.exchange_rate) == ("EUR", demo.EURO_RATE)


def test_demo_reload_adds_only_what_is_missing(loaded):
    RecurringInvoice.objects.filter(notes=demo.RETAINER).delete()

    summary = demo.load(size="small", stdout=io.StringIO())

    assert summary.startswith(
        "0 invoices, 0 credit note(s), 0 quotes and 1 recurring schedule(s) created"
    )
    assert RecurringInvoice.objects.filter(notes=demo.RETAINER).count() == 1


def test_demo_payments_email_no_receipts(settings):
    # `make run` prints emails to the console: demo customers paid nobody, so none are told.
    settings.EMAIL_ENABLED = True
    settings.EMAIL_PAYMENT_RECEIPTS = True
    customers_demo.load(size="small", stdout=io.StringIO())

    demo.load(size="small", stdout=io.StringIO())

    assert Payment.objects.exists()
    assert not EmailMessage.objects.exists()
