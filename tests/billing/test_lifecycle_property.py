"""Hypothesis property over the whole lifecycle: for any lines, discount, payment and credit
notes (refunded or credited), the invoice's figures add up, nothing is owed below zero, the tax
report equals the stored line taxes net of credit notes, and every account's balance equals
its transactions."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing import services
from billing.models import CreditNoteItem, Invoice, InvoiceItem
from ledger.models import Transaction
from ledger.selectors import account_list
from reporting.selectors import tax_report
from tests.billing.factories import AccountFactory
from tests.billing.strategies import discount_shares, item_lists
from tests.factories import CustomerFactory

CENT = Decimal("0.01")
DAY = datetime.date(2024, 5, 10)
fractions = st.decimals(min_value=Decimal(0), max_value=Decimal(1), places=2)
credit_notes = st.lists(
    st.tuples(fractions, st.sampled_from([10, 0]), st.sampled_from(["refund", "credit"])),
    max_size=3,
)


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@pytest.mark.django_db
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(items=item_lists, share=discount_shares, paid=fractions, notes=credit_notes)
def test_figures_tax_report_and_ledger_stay_consistent(items, share, paid, notes):
    account = AccountFactory(opening_balance=Decimal("1000.00"))
    subtotal = sum((cents(i["qty"] * i["amount"]) for i in items), Decimal(0))
    invoice = services.invoice_create(
        customer=CustomerFactory(),
        items=[{"description": "Line", "product": None, **i} for i in items],
        date=DAY,
        discount=cents(subtotal * share),
    )
    payment = cents(invoice.total * paid)
    if payment > 0:
        services.payment_record(invoice=invoice, amount=payment, account=account, date=DAY)
    for fraction, rate, settlement in notes:
        invoice.refresh_from_db()
        room = invoice.total - invoice.amount_credited
        amount = cents(room * fraction / (1 + Decimal(rate) / 100))
        while amount > 0 and amount + cents(amount * rate / 100) > room:
            amount -= CENT  # the line's own rounding may take it a cent over
        if amount <= 0:
            continue
        services.credit_note_create(
            invoice=invoice,
            items=[{"description": "Back", "amount": amount, "qty": 1, "tax_rate": rate}],
            reason="Property",
            date=DAY,
            settlement=settlement,
            account=account,
        )

    invoice = Invoice.objects.get(pk=invoice.pk)
    assert invoice.total == invoice.subtotal - invoice.discount + invoice.tax
    assert invoice.balance_due == max(
        invoice.total - invoice.amount_paid - invoice.amount_credited, Decimal(0)
    )
    assert invoice.balance_due >= 0
    assert invoice.amount_credited <= invoice.total

    # Examples share the test's transaction, so the report covers every invoice made so far.
    report = tax_report(date_from=DAY, date_to=DAY)
    invoice_tax = sum(
        InvoiceItem.objects.exclude(invoice__status__in=["Draft", "Cancelled"]).values_list(
            "line_tax", flat=True
        ),
        Decimal(0),
    )
    credited_tax = sum(CreditNoteItem.objects.values_list("line_tax", flat=True), Decimal(0))
    assert report["total_tax"] == invoice_tax - credited_tax

    for row in account_list():
        moves = Transaction.objects.active().filter(account=row)
        income = sum((t.amount for t in moves if t.type == "Income"), Decimal(0))
        expenses = sum((t.amount for t in moves if t.type == "Expense"), Decimal(0))
        assert row.balance == row.opening_balance + income - expenses
    invoice.customer.refresh_from_db()
    assert invoice.customer.credit_balance >= 0
