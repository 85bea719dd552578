"""Contract section 8: drafts and issue, frozen issued invoices, cancel, overdue, strict
filters, billing details snapshot, closed books. Each refusal also shows nothing changed."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import books_update
from billing.models import Invoice
from tests.billing.factories import item, make_invoice, make_payment
from tests.factories import CustomerFactory
from webhooks.models import Event

pytestmark = pytest.mark.django_db

FROZEN = "Issued invoices cannot be changed. Issue a credit note or cancel the invoice."


def body(customer, **overrides):
    return {
        "customer_id": customer.pk,
        "date": "2024-01-15",
        "due_date": "2024-02-15",
        "items": [{"description": "Work", "amount": 100, "qty": 1, "tax_rate": 10}],
        **overrides,
    }


def snapshot_of(invoice: Invoice) -> tuple:
    invoice.refresh_from_db()
    return (
        invoice.invoice_number,
        invoice.status,
        invoice.customer_id,
        invoice.date,
        invoice.discount,
        invoice.currency,
        invoice.total,
        invoice.balance_due,
        [(i.description, i.amount) for i in invoice.items.all()],
    )


# --- draft and issue -------------------------------------------------------------------------


def test_post_without_status_creates_an_issued_numbered_unpaid_invoice(api):
    data = api.post("/api/v2/invoices", body(CustomerFactory()), format="json").json()["data"]

    assert (data["invoice_number"], data["status"], data["balance_due"]) == (
        "INV-2024-001",
        "Unpaid",
        110,
    )


def test_a_draft_has_no_number_and_owes_nothing(api):
    response = api.post("/api/v2/invoices", body(CustomerFactory(), status="Draft"), format="json")

    data = response.json()["data"]
    assert response.status_code == 201
    assert (data["invoice_number"], data["status"], data["amount"], data["balance_due"]) == (
        None,
        "Draft",
        110,
        0,
    )
    assert (data["billing_details"], data["is_overdue"], data["days_overdue"]) == (None, False, 0)


def test_drafts_use_up_no_numbers(api):
    customer = CustomerFactory()
    api.post("/api/v2/invoices", body(customer, status="Draft"), format="json")

    data = api.post("/api/v2/invoices", body(customer), format="json").json()["data"]

    assert data["invoice_number"] == "INV-2024-001"


def test_a_draft_can_be_edited_freely(api):
    draft = make_invoice(status="Draft")
    other = CustomerFactory()

    response = api.patch(
        f"/api/v2/invoices/{draft.pk}",
        {
            "customer_id": other.pk,
            "date": "2024-03-01",
            "due_date": "2024-03-31",
            "discount": 10,
            "currency": "EUR",
            "exchange_rate": 1.1,
            "items": [{"description": "Other", "amount": 50, "qty": 2}],
        },
        format="json",
    )

    data = response.json()["data"]
    assert response.status_code == 200
    assert (data["customer_id"], data["date"], data["currency"], data["amount"]) == (
        other.pk,
        "2024-03-01",
        "EUR",
        90,
    )


def test_issue_takes_the_next_number_of_the_dates_year(api):
    make_invoice(date=datetime.date(2025, 6, 1))
    draft = make_invoice(date=datetime.date(2025, 3, 1), status="Draft")

    response = api.post(f"/api/v2/invoices/{draft.pk}/issue")

    data = response.json()["data"]
    assert response.status_code == 200
    assert (data["invoice_number"], data["status"], data["balance_due"]) == (
        "INV-2025-002",
        "Unpaid",
        100,
    )
    assert Event.objects.filter(type="invoice.issued").count() == 2  # the first was created issued


def test_issue_snapshots_the_billing_details_and_the_pdf_keeps_them(api):
    customer = CustomerFactory(account="Acme Corp", city="Lyon", country="FR")
    draft = make_invoice(customer=customer, status="Draft")
    api.post(f"/api/v2/invoices/{draft.pk}/issue")
    customer.account, customer.city = "Renamed Ltd", "Paris"
    customer.save()

    data = api.get(f"/api/v2/invoices/{draft.pk}").json()["data"]
    pdf = api.get(f"/api/v2/invoices/{draft.pk}/pdf").content

    assert data["billing_details"] == {
        "account": "Acme Corp",
        "email": customer.email,
        "address": customer.address,
        "city": "Lyon",
        "state": customer.state,
        "zip": customer.zip,
        "country": "FR",
    }
    assert pdf.startswith(b"%PDF-")


def test_issuing_an_issued_invoice_is_409_and_changes_nothing(api):
    invoice = make_invoice()
    before = snapshot_of(invoice)

    response = api.post(f"/api/v2/invoices/{invoice.pk}/issue")

    assert response.status_code == 409
    assert response.json()["message"] == "Only a draft can be issued; INV-2024-001 is Unpaid."
    assert snapshot_of(invoice) == before


def test_a_draft_is_not_in_reports_or_aging(api):
    make_invoice(status="Draft", date=timezone.localdate(), items=[item("999")])

    aging = api.get("/api/v2/reports/aging").json()["data"]
    financial = api.get("/api/v2/reports/financial").json()["data"]

    assert (aging["totals"]["total"], aging["customers"]) == (0, [])
    assert financial["outstanding_invoices"] == 0


# --- frozen ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"date": "2024-01-20"},
        {"discount": 5},
        {"currency": "EUR"},
        {"items": [{"description": "Work", "amount": 9999, "qty": 1}]},
    ],
    ids=["date", "discount", "currency", "items"],
)
@pytest.mark.parametrize("paid", ["0", "50", "110"], ids=["unpaid", "partly", "paid"])
def test_issued_invoices_are_frozen(api, change, paid):
    invoice = make_invoice(items=[item("100", tax_rate=10)])
    if paid != "0":
        make_payment(invoice, paid)
    before = snapshot_of(invoice)

    response = api.patch(f"/api/v2/invoices/{invoice.pk}", change, format="json")

    assert response.status_code == 409
    assert response.json() == {"success": False, "message": FROZEN}
    assert snapshot_of(invoice) == before


def test_customer_of_an_issued_invoice_is_frozen_on_put(api):
    invoice = make_invoice()
    before = snapshot_of(invoice)

    response = api.put(
        f"/api/v2/invoices/{invoice.pk}",
        body(CustomerFactory(), items=[{"description": "Consulting", "amount": 100}]),
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["message"] == FROZEN
    assert snapshot_of(invoice) == before


def test_cancelled_invoices_are_frozen(api):
    invoice = make_invoice()
    api.post(f"/api/v2/invoices/{invoice.pk}/cancel", {"reason": "Duplicate"}, format="json")
    before = snapshot_of(invoice)

    response = api.patch(f"/api/v2/invoices/{invoice.pk}", {"discount": 1}, format="json")

    assert response.status_code == 409
    assert snapshot_of(invoice) == before


def test_due_date_and_notes_of_an_issued_invoice_stay_editable(api):
    invoice = make_invoice(items=[item("100")])
    make_payment(invoice, "100")

    response = api.patch(
        f"/api/v2/invoices/{invoice.pk}",
        {"due_date": "2024-03-31", "notes": "Thanks!"},
        format="json",
    )

    data = response.json()["data"]
    assert response.status_code == 200
    assert (data["due_date"], data["notes"], data["status"]) == ("2024-03-31", "Thanks!", "Paid")


def test_delete_of_an_issued_invoice_is_409(api):
    invoice = make_invoice()

    response = api.delete(f"/api/v2/invoices/{invoice.pk}")

    assert response.status_code == 409
    assert Invoice.objects.filter(pk=invoice.pk).exists()


# --- cancel ----------------------------------------------------------------------------------


def test_cancel_keeps_the_number_and_owes_nothing(api):
    invoice = make_invoice()

    response = api.post(
        f"/api/v2/invoices/{invoice.pk}/cancel", {"reason": "Duplicate"}, format="json"
    )

    data = response.json()["data"]
    assert response.status_code == 200
    assert (data["status"], data["invoice_number"], data["balance_due"]) == (
        "Cancelled",
        "INV-2024-001",
        0,
    )
    assert data["cancel_reason"] == "Duplicate"
    assert Event.objects.filter(type="invoice.cancelled").count() == 1


def test_cancel_needs_a_reason(api):
    invoice = make_invoice()

    response = api.post(f"/api/v2/invoices/{invoice.pk}/cancel", {}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"reason": "This field is required."}
    assert snapshot_of(invoice)[1] == "Unpaid"


def test_an_invoice_with_a_payment_cannot_be_cancelled(api):
    invoice = make_invoice(items=[item("100")])
    make_payment(invoice, "10")
    before = snapshot_of(invoice)

    response = api.post(f"/api/v2/invoices/{invoice.pk}/cancel", {"reason": "x"}, format="json")

    assert response.status_code == 409
    assert snapshot_of(invoice) == before


def test_an_invoice_whose_payments_were_voided_can_be_cancelled(api):
    from billing.services import payment_void

    invoice = make_invoice(items=[item("100")])
    payment_void(payment=make_payment(invoice, "10"))

    response = api.post(f"/api/v2/invoices/{invoice.pk}/cancel", {"reason": "x"}, format="json")

    assert response.status_code == 200


def test_a_draft_cannot_be_cancelled(api):
    draft = make_invoice(status="Draft")

    response = api.post(f"/api/v2/invoices/{draft.pk}/cancel", {"reason": "x"}, format="json")

    assert response.status_code == 409
    assert snapshot_of(draft)[1] == "Draft"


# --- overdue and the strict filter -----------------------------------------------------------


def test_is_overdue_and_days_overdue(api):
    today = timezone.localdate()
    late = make_invoice(
        date=today - datetime.timedelta(days=40), due_date=today - datetime.timedelta(days=10)
    )
    on_time = make_invoice(date=today, due_date=today + datetime.timedelta(days=5))

    late_data = api.get(f"/api/v2/invoices/{late.pk}").json()["data"]
    on_time_data = api.get(f"/api/v2/invoices/{on_time.pk}").json()["data"]

    assert (late_data["is_overdue"], late_data["days_overdue"]) == (True, 10)
    assert (on_time_data["is_overdue"], on_time_data["days_overdue"]) == (False, 0)


@pytest.mark.parametrize(
    "value,expected", [("true", [0]), ("1", [0]), ("false", [1, 2]), ("0", [1, 2])]
)
def test_overdue_filter(api, value, expected):
    today = timezone.localdate()
    past = today - datetime.timedelta(days=40)
    invoices = [
        make_invoice(date=past, due_date=past + datetime.timedelta(days=5)),
        make_invoice(date=today),
        make_invoice(date=past, due_date=past, status="Draft"),
    ]

    data = api.get(f"/api/v2/invoices?overdue={value}").json()["data"]

    assert sorted(d["id"] for d in data) == sorted(invoices[i].pk for i in expected)


def test_overdue_filter_refuses_an_unknown_value(api):
    response = api.get("/api/v2/invoices?overdue=maybe")

    assert response.status_code == 400
    assert response.json()["errors"] == {"overdue": "Use true or false (or 1 or 0)."}


# --- closed books and audit ------------------------------------------------------------------


def test_writes_dated_in_closed_books_are_409(api):
    invoice = make_invoice(date=datetime.date(2024, 1, 15))
    draft = make_invoice(date=datetime.date(2024, 1, 15), status="Draft")
    books_update(closed_through=datetime.date(2024, 1, 31))
    before = snapshot_of(invoice)
    message = "The books are closed through 2024-01-31."

    responses = [
        api.post("/api/v2/invoices", body(CustomerFactory()), format="json"),
        api.patch(f"/api/v2/invoices/{invoice.pk}", {"notes": "x"}, format="json"),
        api.post(f"/api/v2/invoices/{invoice.pk}/cancel", {"reason": "x"}, format="json"),
        api.post(f"/api/v2/invoices/{draft.pk}/issue"),
        api.delete(f"/api/v2/invoices/{draft.pk}"),
    ]

    assert [(r.status_code, r.json()["message"]) for r in responses] == [(409, message)] * 5
    assert snapshot_of(invoice) == before
    assert Invoice.objects.count() == 2


def test_each_write_records_its_audit_entry(api):
    draft = make_invoice(status="Draft")
    start = AuditEvent.objects.count()

    api.patch(f"/api/v2/invoices/{draft.pk}", {"notes": "n"}, format="json")
    api.post(f"/api/v2/invoices/{draft.pk}/issue")
    api.post(f"/api/v2/invoices/{draft.pk}/cancel", {"reason": "x"}, format="json")

    entries = list(AuditEvent.objects.order_by("id")[start:].values_list("action", "actor_type"))
    assert entries == [
        ("invoice.updated", "api_key"),
        ("invoice.issued", "api_key"),
        ("invoice.cancelled", "api_key"),
    ]
    issued = AuditEvent.objects.get(action="invoice.issued")
    assert issued.changes["invoice_number"] == [None, "INV-2024-001"]
    assert issued.changes["status"] == ["Draft", "Unpaid"]


def test_a_refused_write_records_no_audit_entry(api):
    invoice = make_invoice()
    start = AuditEvent.objects.count()

    api.patch(f"/api/v2/invoices/{invoice.pk}", {"discount": 5}, format="json")

    assert AuditEvent.objects.count() == start
    assert Decimal(snapshot_of(invoice)[4]) == Decimal("0.00")
