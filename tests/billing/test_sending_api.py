"""`POST /api/v2/invoices/{id}/send` and `/quotes/{id}/send` (contract section 10): the rules,
each refusal showing that nothing changed (no message row, no `sent_at`, no event)."""

import datetime

import pytest
from django.core import mail

from audit.models import AuditEvent
from billing.models import Quote
from customers.models import Customer
from mail.models import EmailMessage
from tests.billing.factories import item, make_invoice, make_quote
from tests.factories import CustomerFactory
from webhooks.models import Event

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mail_settings")]


@pytest.fixture
def invoice():
    return make_invoice(
        customer=CustomerFactory(account="Jane Doe Ltd", email="jane@example.com"),
        items=[item("1500.00", description="Web Development")],
        date=datetime.date(2026, 3, 1),
        due_date=datetime.date(2026, 3, 31),
    )


@pytest.fixture
def quote():
    return make_quote(
        customer=CustomerFactory(account="Jane Doe Ltd", email="jane@example.com"),
        items=[item("2000.00", description="Consulting")],
        date=datetime.date(2026, 3, 1),
        valid_until=datetime.date(2026, 3, 31),
    )


def events_of(event_type: str) -> int:
    return Event.objects.filter(type=event_type).count()


def test_send_invoice_answers_202_with_the_queued_message(api, invoice):
    response = api.post(f"/api/v2/invoices/{invoice.pk}/send", {}, format="json")

    assert response.status_code == 202
    data = response.json()["data"]
    assert data["to"] == ["jane@example.com"]
    assert data["cc"] == []
    assert data["subject"] == f"Invoice {invoice.invoice_number} from Acme & Sons Ltd"
    assert data["status"] == "queued"
    assert data["purpose"] == "invoice"
    assert (data["invoice_id"], data["customer_id"]) == (invoice.pk, invoice.customer_id)
    [attachment] = data["attachments"]
    assert attachment["filename"] == f"{invoice.invoice_number}.pdf"
    assert attachment["mimetype"] == "application/pdf"
    assert EmailMessage.objects.get().pk == data["id"]


def test_send_invoice_records_sent_at_and_announces_invoice_sent(api, invoice):
    api.post(f"/api/v2/invoices/{invoice.pk}/send", {}, format="json")

    invoice.refresh_from_db()
    assert invoice.sent_at is not None
    [event] = Event.objects.filter(type="invoice.sent")
    assert (event.data["id"], event.data["invoice_number"]) == (invoice.pk, invoice.invoice_number)
    assert event.data["sent_at"] is not None
    shown = api.get(f"/api/v2/invoices/{invoice.pk}").json()["data"]
    assert shown["sent_at"] is not None


def test_send_invoice_with_recipients_subject_and_message(api, invoice):
    response = api.post(
        f"/api/v2/invoices/{invoice.pk}/send",
        {
            "to": ["ap@example.com", "boss@example.com"],
            "cc": ["me@acme.test"],
            "subject": "Your March invoice",
            "message": "Thanks for the great project.",
        },
        format="json",
    )

    assert response.status_code == 202
    message = EmailMessage.objects.get()
    assert message.to == ["ap@example.com", "boss@example.com"]
    assert message.cc == ["me@acme.test"]
    assert message.subject == "Your March invoice"
    assert "Thanks for the great project." in message.body_text
    assert "Thanks for the great project." in message.body_html


def test_send_invoice_goes_out_after_commit(api, invoice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        api.post(f"/api/v2/invoices/{invoice.pk}/send", {}, format="json")

    [sent] = mail.outbox
    assert sent.to == ["jane@example.com"]
    assert EmailMessage.objects.get().status == "sent"


def test_no_recipient_at_all_is_a_400_on_to_and_nothing_changes(api, invoice):
    # A customer without an email (imported data).
    Customer.objects.filter(pk=invoice.customer_id).update(email="")

    response = api.post(f"/api/v2/invoices/{invoice.pk}/send", {}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "message": "Validation failed",
        "errors": {"to": "The customer has no email address: give the recipients in `to`."},
    }
    assert EmailMessage.objects.count() == 0
    invoice.refresh_from_db()
    assert invoice.sent_at is None
    assert events_of("invoice.sent") == 0
    assert not AuditEvent.objects.filter(action="invoice.sent").exists()


def test_a_malformed_recipient_is_a_400_and_nothing_changes(api, invoice):
    response = api.post(
        f"/api/v2/invoices/{invoice.pk}/send",
        {"to": ["ok@example.com", "not-an-email"]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"to.1": "Invalid email format"}
    assert EmailMessage.objects.count() == 0
    invoice.refresh_from_db()
    assert invoice.sent_at is None


def test_a_malformed_cc_is_a_400_and_nothing_changes(api, invoice):
    response = api.post(f"/api/v2/invoices/{invoice.pk}/send", {"cc": ["nope"]}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"cc.0": "Invalid email format"}
    assert EmailMessage.objects.count() == 0


def test_to_must_be_a_list(api, invoice):
    response = api.post(
        f"/api/v2/invoices/{invoice.pk}/send", {"to": "jane@example.com"}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["to"]
    assert EmailMessage.objects.count() == 0


def test_a_multi_line_subject_is_a_400_and_nothing_changes(api, invoice):
    response = api.post(
        f"/api/v2/invoices/{invoice.pk}/send",
        {"subject": "Invoice\r\nBcc: victim@example.com"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"subject": "The subject must be one line."}
    assert EmailMessage.objects.count() == 0
    invoice.refresh_from_db()
    assert invoice.sent_at is None


def test_sending_not_configured_is_a_409_and_nothing_changes(api, invoice, settings):
    settings.EMAIL_ENABLED = False

    response = api.post(f"/api/v2/invoices/{invoice.pk}/send", {}, format="json")

    assert response.status_code == 409
    assert response.json() == {
        "success": False,
        "message": "Email sending is not configured on this server: set EMAIL_URL (or "
        "EMAIL_BACKEND), see docs/email.md.",
    }
    assert EmailMessage.objects.count() == 0
    invoice.refresh_from_db()
    assert invoice.sent_at is None
    assert events_of("invoice.sent") == 0


def test_sending_a_draft_issues_it_first(api):
    draft = make_invoice(date=datetime.date(2026, 3, 1), status="Draft")

    response = api.post(f"/api/v2/invoices/{draft.pk}/send", {}, format="json")

    assert response.status_code == 202
    draft.refresh_from_db()
    assert draft.status == "Unpaid"
    assert draft.invoice_number == "INV-2026-001"
    assert draft.sent_at is not None
    message = EmailMessage.objects.get()
    assert "INV-2026-001" in message.subject


def test_a_draft_sent_to_a_bad_address_stays_a_draft(api):
    draft = make_invoice(date=datetime.date(2026, 3, 1), status="Draft")

    response = api.post(
        f"/api/v2/invoices/{draft.pk}/send", {"to": ["not-an-email"]}, format="json"
    )

    assert response.status_code == 400
    draft.refresh_from_db()
    assert (draft.status, draft.invoice_number, draft.sent_at) == ("Draft", None, None)
    assert EmailMessage.objects.count() == 0


def test_unknown_invoice_is_a_404(api):
    response = api.post("/api/v2/invoices/999999/send", {}, format="json")

    assert response.status_code == 404
    assert EmailMessage.objects.count() == 0


def test_a_viewer_cannot_send(client_for, invoice):
    response = client_for("viewer").post(f"/api/v2/invoices/{invoice.pk}/send", {}, format="json")

    assert response.status_code == 403
    assert EmailMessage.objects.count() == 0


def test_staff_can_send(client_for, invoice):
    response = client_for("staff").post(f"/api/v2/invoices/{invoice.pk}/send", {}, format="json")

    assert response.status_code == 202


def test_sending_twice_queues_two_messages(api, invoice):
    # Each send is the user's explicit request (a corrected address, a lost email): no dedupe.
    api.post(f"/api/v2/invoices/{invoice.pk}/send", {}, format="json")
    api.post(f"/api/v2/invoices/{invoice.pk}/send", {}, format="json")

    assert EmailMessage.objects.filter(invoice_id=invoice.pk).count() == 2


def test_send_quote_answers_202_and_a_draft_quote_becomes_sent(api, quote):
    response = api.post(f"/api/v2/quotes/{quote.pk}/send", {}, format="json")

    assert response.status_code == 202
    quote.refresh_from_db()  # a draft takes its number as it leaves Draft
    assert quote.quote_number is not None
    data = response.json()["data"]
    assert data["to"] == ["jane@example.com"]
    assert data["subject"] == f"Quote {quote.quote_number} from Acme & Sons Ltd"
    assert (data["purpose"], data["quote_id"], data["invoice_id"]) == ("quote", quote.pk, None)
    assert [a["filename"] for a in data["attachments"]] == [f"{quote.quote_number}.pdf"]
    quote.refresh_from_db()
    assert quote.status == "Sent"
    assert quote.sent_at is not None
    assert events_of("quote.sent") == 1
    assert events_of("quote.updated") == 1


def test_an_accepted_quote_keeps_its_status_when_sent(api, quote):
    Quote.objects.filter(pk=quote.pk).update(status="Accepted")

    api.post(f"/api/v2/quotes/{quote.pk}/send", {}, format="json")

    quote.refresh_from_db()
    assert quote.status == "Accepted"
    assert events_of("quote.updated") == 0


def test_quote_send_refusal_changes_nothing(api, quote):
    response = api.post(f"/api/v2/quotes/{quote.pk}/send", {"to": ["bad"]}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"to.0": "Invalid email format"}
    quote.refresh_from_db()
    assert (quote.status, quote.sent_at) == ("Draft", None)
    assert EmailMessage.objects.count() == 0
    assert events_of("quote.sent") == 0


def test_quote_send_when_sending_is_off_is_a_409(api, quote, settings):
    settings.EMAIL_ENABLED = False

    response = api.post(f"/api/v2/quotes/{quote.pk}/send", {}, format="json")

    assert response.status_code == 409
    quote.refresh_from_db()
    assert (quote.status, quote.sent_at) == ("Draft", None)


# Every write appends one audit entry (contract section 9); the load test's verification found
# sends recorded `sent_at` and their event without one.


def test_send_invoice_records_one_audit_entry_naming_the_message(api, invoice):
    data = api.post(f"/api/v2/invoices/{invoice.pk}/send", {}, format="json").json()["data"]

    [entry] = AuditEvent.objects.filter(action="invoice.sent")
    invoice.refresh_from_db()
    assert (entry.resource, entry.resource_id) == ("invoice", str(invoice.pk))
    assert entry.changes["email_id"] == [None, data["id"]]
    assert entry.changes["sent_at"][0] is None
    assert entry.changes["sent_at"][1] == invoice.sent_at.isoformat().replace("+00:00", "Z")


def test_send_quote_records_one_audit_entry_naming_the_message(api, quote):
    data = api.post(f"/api/v2/quotes/{quote.pk}/send", {}, format="json").json()["data"]

    [entry] = AuditEvent.objects.filter(action="quote.sent")
    assert (entry.resource, entry.resource_id) == ("quote", str(quote.pk))
    assert entry.changes["email_id"] == [None, data["id"]]
    # Leaving Draft is its own write, audited as such.
    assert AuditEvent.objects.filter(action="quote.updated", resource_id=str(quote.pk)).count() == 1
