import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connections

from billing import numbering, services
from billing.models import Invoice, Payment
from core.errors import ConflictError, DomainValidationError
from tests.billing.factories import AccountFactory, item, make_invoice, make_quote
from tests.factories import CustomerFactory
from tests.markers import requires_postgres

pytestmark = pytest.mark.django_db


def test_format_has_at_least_three_digits():
    assert numbering.format_number(kind="INV", year=2024, sequence=7) == "INV-2024-007"
    assert numbering.format_number(kind="INV", year=2024, sequence=1000) == "INV-2024-1000"


def test_numbers_are_sequential_per_year(api):
    numbers = [
        make_invoice(date=datetime.date(year, 6, 1)).invoice_number
        for year in (2024, 2024, 2025, 2024, 2025)
    ]

    assert numbers == [
        "INV-2024-001",
        "INV-2024-002",
        "INV-2025-001",
        "INV-2024-003",
        "INV-2025-002",
    ]


def test_number_grows_past_999(api):
    from billing.models import DocumentCounter

    DocumentCounter.objects.create(kind="INV", year=2024, last_number=999)

    assert make_invoice(date=datetime.date(2024, 1, 1)).invoice_number == "INV-2024-1000"


def test_a_refused_invoice_does_not_use_up_a_number(api):
    customer = CustomerFactory()
    make_invoice(customer=customer, date=datetime.date(2024, 1, 1))
    with pytest.raises(DomainValidationError):
        # Discount above the subtotal is refused after the number was drawn.
        services.invoice_create(
            customer=customer,
            items=[item("10")],
            date=datetime.date(2024, 1, 2),
            discount=Decimal("11"),
        )

    assert make_invoice(date=datetime.date(2024, 1, 3)).invoice_number == "INV-2024-002"


def test_quotes_have_their_own_sequence(api):
    make_invoice(date=datetime.date(2024, 1, 1))

    quote = make_quote(date=datetime.date(2024, 1, 1), status="Sent")

    assert quote.quote_number == "QUO-2024-001"


def _run_concurrently(count: int, work) -> list:
    """Runs `work(i)` in `count` threads released together; returns results or exceptions."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - reported to the test
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_creators_get_eight_consecutive_numbers():
    customer = CustomerFactory()
    make_invoice(customer=customer, date=datetime.date(2024, 1, 1))  # the counter row exists

    results = _run_concurrently(
        8,
        lambda i: make_invoice(customer=customer, date=datetime.date(2024, 2, 1)).invoice_number,
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(results) == [f"INV-2024-{n:03d}" for n in range(2, 10)]
    assert Invoice.objects.count() == 9


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_first_creators_of_a_year_do_not_collide():
    customer = CustomerFactory()

    results = _run_concurrently(
        8,
        lambda i: make_invoice(customer=customer, date=datetime.date(2031, 1, 1)).invoice_number,
    )

    assert sorted(results) == [f"INV-2031-{n:03d}" for n in range(1, 9)]


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_payments_cannot_overpay():
    invoice = make_invoice(items=[item("100")])
    account = AccountFactory()

    def pay(i):
        return services.payment_record(
            invoice=invoice, amount=Decimal("30"), account=account, date=datetime.date(2024, 2, 1)
        )

    results = _run_concurrently(8, pay)

    accepted = [r for r in results if isinstance(r, Payment)]
    refused = [r for r in results if isinstance(r, DomainValidationError)]
    assert (len(accepted), len(refused)) == (3, 5)
    invoice.refresh_from_db()
    assert (invoice.amount_paid, invoice.balance_due, invoice.status) == (
        Decimal("90.00"),
        Decimal("10.00"),
        "Partially Paid",
    )


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_issuers_get_eight_consecutive_numbers():
    customer = CustomerFactory()
    make_invoice(customer=customer, date=datetime.date(2024, 1, 1))  # INV-2024-001
    drafts = [
        make_invoice(customer=customer, date=datetime.date(2024, 3, 1), status="Draft")
        for _ in range(8)
    ]

    results = _run_concurrently(
        8, lambda i: services.invoice_issue(invoice=drafts[i]).invoice_number
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(results) == [f"INV-2024-{n:03d}" for n in range(2, 10)]
    numbers = list(Invoice.objects.values_list("invoice_number", flat=True))
    assert len(set(numbers)) == 9


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_a_draft_issued_eight_times_at_once_is_issued_once():
    draft = make_invoice(date=datetime.date(2024, 3, 1), status="Draft")

    results = _run_concurrently(8, lambda i: services.invoice_issue(invoice=draft))

    assert len([r for r in results if isinstance(r, Invoice)]) == 1
    assert len([r for r in results if isinstance(r, ConflictError)]) == 7
    assert make_invoice(date=datetime.date(2024, 4, 1)).invoice_number == "INV-2024-002"


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_credit_notes_get_eight_consecutive_numbers():
    invoices = [make_invoice(items=[item("100")]) for _ in range(8)]

    results = _run_concurrently(
        8,
        lambda i: services.credit_note_create(
            invoice=invoices[i],
            items=[item("10")],
            reason="Discount agreed later",
            date=datetime.date(2024, 2, 1),
        ).credit_note_number,
    )

    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(results) == [f"CN-2024-{n:03d}" for n in range(1, 9)]


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_credit_notes_on_one_invoice_never_exceed_its_amount():
    invoice = make_invoice(items=[item("100")])

    results = _run_concurrently(
        8,
        lambda i: services.credit_note_create(
            invoice=invoice, items=[item("30")], reason="r", date=datetime.date(2024, 2, 1)
        ),
    )

    refused = [r for r in results if isinstance(r, DomainValidationError)]
    assert len(refused) == 5
    invoice.refresh_from_db()
    assert (invoice.amount_credited, invoice.balance_due) == (Decimal("90.00"), Decimal("10.00"))
    numbers = sorted(r.credit_note_number for r in results if not isinstance(r, Exception))
    assert numbers == ["CN-2024-001", "CN-2024-002", "CN-2024-003"]
