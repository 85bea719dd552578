"""`POST /api/v2/credit-notes/{id}/send` and the credit note page's "Send by email" button
(contract section 10): the message, its event and audit entry, what a real SMTP server
receives, and refusals that leave nothing behind."""

import datetime
import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from audit.models import AuditEvent
from billing import services
from mail.models import EmailMessage
from tests.billing.factories import item, make_invoice
from tests.billing.test_admin import staff  # noqa: F401
from tests.factories import CustomerFactory
from webhooks.models import Event

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mail_settings")]


@pytest.fixture
def note():
    invoice = make_invoice(
        customer=CustomerFactory(account="Jane Doe Ltd", email="jane@example.com"),
        items=[item("1500.00", description="Web Development")],
        date=datetime.date(2026, 3, 1),
        due_date=datetime.date(2026, 3, 31),
    )
    return services.credit_note_create(
        invoice=invoice,
        items=[item("300.00", description="Unused hours")],
        reason="Fewer hours than quoted",
        date=datetime.date(2026, 3, 5),
    )


def url(note) -> str:
    return f"/api/v2/credit-notes/{note.pk}/send"


def nothing_sent() -> None:
    assert EmailMessage.objects.count() == 0
    assert Event.objects.filter(type="credit_note.sent").count() == 0
    assert AuditEvent.objects.filter(action="credit_note.sent").count() == 0


def test_send_credit_note_answers_202_with_the_queued_message(api, note):
    response = api.post(url(note), {}, format="json")

    assert response.status_code == 202
    data = response.json()["data"]
    assert data["to"] == ["jane@example.com"]
    assert data["subject"] == f"Credit note {note.credit_note_number} from Acme & Sons Ltd"
    assert data["status"] == "queued"
    assert data["purpose"] == "credit_note"
    assert (data["credit_note_id"], data["invoice_id"], data["customer_id"]) == (
        note.pk,
        note.invoice_id,
        note.customer_id,
    )
    assert [(a["filename"], a["mimetype"]) for a in data["attachments"]] == [
        (f"{note.credit_note_number}.pdf", "application/pdf")
    ]
    assert EmailMessage.objects.get().pk == data["id"]


def test_send_credit_note_announces_credit_note_sent_and_is_audited(api, note):
    response = api.post(
        url(note), {"to": ["accounts@example.com"], "cc": ["boss@example.com"]}, format="json"
    )

    assert response.status_code == 202
    [event] = Event.objects.filter(type="credit_note.sent")
    assert (event.data["id"], event.data["credit_note_number"]) == (
        note.pk,
        note.credit_note_number,
    )
    [entry] = AuditEvent.objects.filter(action="credit_note.sent")
    assert (entry.resource, entry.resource_id, entry.actor_type) == (
        "credit_note",
        str(note.pk),
        "api_key",
    )
    assert entry.changes == {"email_id": [None, response.json()["data"]["id"]]}
    message = EmailMessage.objects.get()
    assert (message.to, message.cc) == (["accounts@example.com"], ["boss@example.com"])


def test_a_credit_note_without_any_recipient_is_a_400_and_nothing_is_sent(api, note):
    note.customer.email = ""
    note.customer.save(update_fields=["email"])

    response = api.post(url(note), {}, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["to"]
    nothing_sent()


def test_a_bad_address_is_a_400_and_nothing_is_sent(api, note):
    response = api.post(url(note), {"cc": ["not-an-email"]}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"cc.0": "Invalid email format"}
    nothing_sent()


def test_sending_not_configured_is_a_409(api, note, settings):
    settings.EMAIL_ENABLED = False

    response = api.post(url(note), {}, format="json")

    assert response.status_code == 409
    nothing_sent()


def test_an_unknown_credit_note_is_a_404(api, note):
    response = api.post(f"/api/v2/credit-notes/{note.pk + 1}/send", {}, format="json")

    assert response.status_code == 404
    nothing_sent()


def test_the_server_receives_the_credit_note_with_its_pdf(
    api, note, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(url(note), {"message": "As agreed on the phone."}, format="json")
    assert response.status_code == 202

    [received] = smtp_server.wait_for(1)
    number, invoice_number = note.credit_note_number, note.invoice.invoice_number
    assert received.rcpt_tos == ["jane@example.com"]
    assert received.subject == f"Credit note {number} from Acme & Sons Ltd"
    assert received.text().startswith(
        "Hello Jane Doe Ltd,\n\nAs agreed on the phone.\n\n"
        f"Credit note {number} for $300.00 is attached as a PDF.\n"
        f"It credits invoice {invoice_number}.\n"
    )
    html = received.html()
    assert f"<strong>{number}</strong>" in html
    assert f"It credits invoice {invoice_number}." in html
    [(filename, content, mimetype)] = received.attachments()
    assert (filename, mimetype) == (f"{number}.pdf", "application/pdf")
    reader = PdfReader(io.BytesIO(content))
    pages = "\n".join(page.extract_text() for page in reader.pages)
    assert number in pages
    assert invoice_number in pages
    assert "Unused hours" in pages
    assert note.total == Decimal("300.00")


def test_the_credit_note_page_sends_by_its_button(staff, note):  # noqa: F811
    page = staff.get(f"/admin/billing/creditnote/{note.pk}/change/")
    response = staff.post(f"/admin/billing/creditnote/{note.pk}/send/", follow=True)

    assert f'action="/admin/billing/creditnote/{note.pk}/send/"' in page.content.decode()
    assert [str(m) for m in response.context["messages"]] == [
        f"{note.credit_note_number} is queued to be sent to jane@example.com."
    ]
    [message] = EmailMessage.objects.all()
    assert (message.credit_note_id, message.purpose) == (note.pk, "credit_note")
    [entry] = AuditEvent.objects.filter(action="credit_note.sent")
    assert entry.actor_type == "user"


def test_a_viewer_cannot_send_a_credit_note(client, note):
    from users.services import user_create

    client.force_login(user_create(email="viewer@example.com", name="V", role="viewer"))

    page = client.get(f"/admin/billing/creditnote/{note.pk}/change/")
    response = client.post(f"/admin/billing/creditnote/{note.pk}/send/")

    assert page.status_code == 200
    assert "/send/" not in page.content.decode()
    assert response.status_code == 403
    nothing_sent()
