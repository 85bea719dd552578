"""Issue #17 for billing's money writes: closed books refused from the admin door as from the
API (the message on the page, nothing written), one entry per admin write by the user, and
the cost of the audit entries in statements."""

import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from audit.services import books_update
from billing import services
from billing.models import CreditNote, Invoice, Payment
from ledger.models import Transaction
from tests.billing.factories import (
    AccountFactory,
    item,
    make_invoice,
    make_payment,
    make_quote,
)
from tests.billing.test_admin import form_data, messages_of, staff  # noqa: F401
from tests.factories import CustomerFactory
from webhooks.models import Event

pytestmark = pytest.mark.django_db

CLOSED = "The books are closed through 2024-03-31."


@pytest.fixture
def rows():
    """Made before the books close: an issued invoice, a paid one, a draft, all dated in the
    period that will be closed, and an open invoice after it."""
    invoice = make_invoice(items=[item("100")], date=datetime.date(2024, 1, 15))
    paid = make_invoice(items=[item("40")], date=datetime.date(2024, 1, 20))
    paid.payment = make_payment(paid, "40", date=datetime.date(2024, 2, 1))
    draft = make_invoice(items=[item("10")], date=datetime.date(2024, 2, 10), status="Draft")
    return {"invoice": invoice, "paid": paid, "draft": draft}


def billing_state():
    return (
        sorted(
            Invoice.objects.values_list(
                "pk", "status", "date", "notes", "invoice_number", "amount_paid", "balance_due"
            )
        ),
        sorted(Payment.objects.values_list("pk", "amount", "voided_at")),
        CreditNote.objects.count(),
        Transaction.objects.count(),
        Event.objects.count(),
        AuditEvent.objects.count(),
    )


def _invoice_add(client, rows):
    data = form_data(client.get("/admin/billing/invoice/add/"))
    data.update(
        {
            "customer": CustomerFactory().pk,
            "date": "2024-03-31",
            "due_date": "2024-04-30",
            "status": "Unpaid",
            "discount": "0",
            "items-TOTAL_FORMS": "1",
            "items-0-description": "Work",
            "items-0-qty": "1",
            "items-0-amount": "10",
        }
    )
    return client.post("/admin/billing/invoice/add/", data, follow=True)


def _invoice_edit(client, rows):
    url = f"/admin/billing/invoice/{rows['invoice'].pk}/change/"
    data = form_data(client.get(url))
    data["notes"] = "Late note"
    return client.post(url, data, follow=True)


def _payment_record(client, rows):
    url = f"/admin/billing/invoice/{rows['invoice'].pk}/change/"
    data = form_data(client.get(url))
    data.update(
        {
            "payments-TOTAL_FORMS": "1",
            "payments-0-amount": "10",
            "payments-0-date": "2024-03-20",
            "payments-0-account": AccountFactory().pk,
            "payments-0-method": "cash",
        }
    )
    return client.post(url, data, follow=True)


def _credit_note(client, rows):
    data = form_data(client.get("/admin/billing/creditnote/add/"))
    data.update(
        {
            "invoice": rows["invoice"].pk,
            "date": "2024-03-31",
            "reason": "Returned",
            "items-TOTAL_FORMS": "1",
            "items-0-description": "Returned",
            "items-0-qty": "1",
            "items-0-amount": "5",
        }
    )
    return client.post("/admin/billing/creditnote/add/", data, follow=True)


ADMIN_REFUSALS = {
    "create an invoice": _invoice_add,
    "edit an invoice": _invoice_edit,
    "issue a draft": lambda client, rows: client.post(
        f"/admin/billing/invoice/{rows['draft'].pk}/issue/", follow=True
    ),
    "cancel an invoice": lambda client, rows: client.post(
        f"/admin/billing/invoice/{rows['invoice'].pk}/cancel/", {"reason": "x"}, follow=True
    ),
    "delete a draft": lambda client, rows: client.post(
        f"/admin/billing/invoice/{rows['draft'].pk}/delete/", {"post": "yes"}, follow=True
    ),
    "record a payment": _payment_record,
    "void a payment": lambda client, rows: client.post(
        "/admin/billing/payment/",
        {"action": "void_payments", "_selected_action": [rows["paid"].payment.pk]},
        follow=True,
    ),
    "issue a credit note": _credit_note,
}


@pytest.mark.parametrize("write", list(ADMIN_REFUSALS))
def test_admin_money_writes_in_closed_books_show_the_message_and_change_nothing(
    staff,  # noqa: F811
    rows,
    write,
):
    books_update(closed_through=datetime.date(2024, 3, 31))
    before = billing_state()

    response = ADMIN_REFUSALS[write](staff, rows)

    assert any(CLOSED in message for message in messages_of(response)), messages_of(response)
    assert billing_state() == before


API_REFUSALS = {
    "record a payment": lambda api, rows: api.post(
        f"/api/v2/invoices/{rows['invoice'].pk}/payments",
        {"amount": "10.00", "date": "2024-03-20", "account_id": AccountFactory().pk},
        format="json",
    ),
    "void a payment": lambda api, rows: api.post(
        f"/api/v2/invoices/{rows['paid'].pk}/payments/{rows['paid'].payment.pk}/void"
    ),
}


@pytest.mark.parametrize("write", list(API_REFUSALS))
def test_api_payment_writes_in_closed_books_are_a_409_and_change_nothing(api, rows, write):
    books_update(closed_through=datetime.date(2024, 3, 31))
    before = billing_state()

    response = API_REFUSALS[write](api, rows)

    assert (response.status_code, response.json()["message"]) == (409, CLOSED)
    assert billing_state() == before


def test_a_payment_recorded_in_the_admin_is_recorded_by_the_user(staff, rows):  # noqa: F811
    start = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    url = f"/admin/billing/invoice/{rows['invoice'].pk}/change/"
    data = form_data(staff.get(url))
    data.update(
        {
            "payments-TOTAL_FORMS": "1",
            "payments-0-amount": "10",
            "payments-0-date": "2024-04-02",
            "payments-0-account": AccountFactory().pk,
            "payments-0-method": "cash",
        }
    )

    response = staff.post(url, data)

    assert response.status_code == 302, messages_of(response)
    entries = list(
        AuditEvent.objects.filter(pk__gt=start)
        .order_by("pk")
        .values_list("action", "actor_type", "actor_name")
    )
    assert entries == [
        ("payment.received", "user", "clerk@example.com"),
        ("invoice.updated", "user", "clerk@example.com"),
    ]
    received = AuditEvent.objects.filter(action="payment.received").latest("pk")
    assert received.changes["amount"] == [None, 10.0]


def _statements(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)


def _audit_inserts(call) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        call()
    sql = [q["sql"] for q in captured.captured_queries]
    return len(sql), sum('INSERT INTO "audit_auditevent"' in s for s in sql)


def test_the_audit_of_each_billing_write_is_one_statement(monkeypatch):
    """Whatever rows a write changes (a payment changes its invoice too), its audit entries
    are one INSERT, and the same writes with the audit switched off cost exactly one
    statement fewer."""
    customer = CustomerFactory()
    account = AccountFactory()
    day = datetime.date(2024, 4, 2)

    def writes(tag: str) -> dict:
        invoice = make_invoice(customer=customer, items=[item("100")], date=day)
        draft = make_invoice(customer=customer, items=[item("5")], date=day, status="Draft")
        paid = make_invoice(customer=customer, items=[item("20")], date=day)
        payment = make_payment(paid, "20", account=account, date=day)
        quote = make_quote(customer=customer, items=[item("30")])  # dated today: open
        return {
            "invoice_create": lambda: services.invoice_create(
                customer=customer, items=[item("10")], date=day
            ),
            "invoice_update": lambda: services.invoice_update(invoice=invoice, notes=tag),
            "invoice_issue": lambda: services.invoice_issue(invoice=draft),
            "payment_record": lambda: services.payment_record(
                invoice=invoice, amount=Decimal("10"), account=account, date=day
            ),
            "payment_void": lambda: services.payment_void(payment=payment),
            "credit_note_create": lambda: services.credit_note_create(
                invoice=invoice, items=[item("5")], reason=tag, date=day
            ),
            "quote_convert": lambda: services.quote_convert(quote=quote),
        }

    wired = {}
    for name, call in writes("a").items():
        before = AuditEvent.objects.count()
        statements, inserts = _audit_inserts(call)
        wired[name] = (statements, inserts, AuditEvent.objects.count() - before)

    monkeypatch.setattr(services, "audit_record", lambda **kwargs: None)
    monkeypatch.setattr(services, "audit_record_each", lambda **kwargs: None)
    unwired = {name: _statements(call) for name, call in writes("b").items()}

    # (audit INSERTs, entries written) per write: the payment, its void and the credit note
    # each record two rows (themselves and the invoice) in one statement, a converted quote
    # two (itself and the new invoice).
    assert {name: (inserts, entries) for name, (_, inserts, entries) in wired.items()} == {
        "invoice_create": (1, 1),
        "invoice_update": (1, 1),
        "invoice_issue": (1, 1),
        "payment_record": (1, 2),
        "payment_void": (1, 2),
        "credit_note_create": (1, 2),
        "quote_convert": (1, 2),
    }
    assert {name: wired[name][0] - unwired[name] for name in wired} == dict.fromkeys(wired, 1)


def test_recurring_command_skips_a_schedule_in_closed_books_and_audits_as_the_command():
    """The command door of a money write: the schedule with a period in closed books is
    reported and nothing is written for it; the other one is issued, its invoice and its
    progress audited by the command, in one INSERT for the chunk."""
    from django.core.management import call_command

    from tests.billing.factories import make_recurring

    blocked = make_recurring(frequency="monthly", start_date=datetime.date(2024, 3, 31))
    fine = make_recurring(frequency="monthly", start_date=datetime.date(2024, 4, 15))
    books_update(closed_through=datetime.date(2024, 3, 31))
    blocked_before = (blocked.next_period, blocked.invoices_count, blocked.last_invoice_id)
    start = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    out = io.StringIO()

    with CaptureQueriesContext(connection) as captured:
        call_command("generate_recurring_invoices", "--date", "2024-04-30", stdout=out)

    blocked.refresh_from_db()
    assert f"Failed: schedule #{blocked.pk}: " in out.getvalue()
    assert CLOSED in out.getvalue()
    assert not Invoice.objects.filter(recurring_invoice=blocked).exists()
    assert (blocked.next_period, blocked.invoices_count, blocked.last_invoice_id) == (
        blocked_before
    )
    issued = Invoice.objects.get(recurring_invoice=fine)
    entries = set(
        AuditEvent.objects.filter(pk__gt=start).values_list(
            "action", "resource_id", "actor_type", "actor_name"
        )
    )
    assert entries == {
        ("invoice.created", str(issued.pk), "system", "command:generate_recurring_invoices"),
        (
            "recurring_invoice.invoiced",
            str(fine.pk),
            "system",
            "command:generate_recurring_invoices",
        ),
    }
    inserts = [q for q in captured.captured_queries if 'INSERT INTO "audit_auditevent"' in q["sql"]]
    assert len(inserts) == 1
