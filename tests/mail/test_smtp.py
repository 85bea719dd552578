"""Through a real SMTP server on loopback: what a mail server receives, and what happens when
it is down or refuses."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from mail.models import EmailMessage
from mail.services import email_queue

pytestmark = pytest.mark.django_db


def queue_invoice(pdf: bytes):
    return email_queue(
        to=["jane@example.com"],
        cc=["accounts@example.com"],
        subject="Invoice INV-2026-001 from Acme",
        template="document",
        context={
            "customer_name": "Jane Doe",
            "document_type": "Invoice",
            "number": "INV-2026-001",
            "amount": "$1,500.00",
            "currency": "USD",
            "due_date": "2026-12-31",
            "portal_url": "https://billing.acme.test/p/inv_abc123",
        },
        attachments=[("INV-2026-001.pdf", pdf, "application/pdf")],
        purpose="invoice",
        customer_id=3,
        invoice_id=11,
    )


def test_the_server_receives_recipients_subject_both_bodies_and_the_pdf(
    smtp_server, small_pdf, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = queue_invoice(small_pdf)

    [received] = smtp_server.wait_for(1)
    assert received.mail_from == "billing@acme.test"
    assert sorted(received.rcpt_tos) == ["accounts@example.com", "jane@example.com"]
    assert str(received.parsed["To"]) == "jane@example.com"
    assert str(received.parsed["Cc"]) == "accounts@example.com"
    assert received.subject == "Invoice INV-2026-001 from Acme"
    assert str(received.parsed["Message-ID"]) == message.message_id
    text = received.text()
    assert text.startswith("Hello Jane Doe,\n\nInvoice INV-2026-001 for $1,500.00 is attached")
    assert "View it online: https://billing.acme.test/p/inv_abc123" in text
    assert text.rstrip().endswith(
        "Acme & Sons Ltd\n1 Ledger Lane, Springfield\n"
        "billing@acme.test\n+1 555 0100\nhttps://acme.test"
    )
    html = received.html()
    assert '<a href="https://billing.acme.test/p/inv_abc123"' in html
    assert "<strong>INV-2026-001</strong>" in html
    assert "Acme &amp; Sons Ltd" in html
    [(filename, content, mimetype)] = received.attachments()
    assert (filename, mimetype) == ("INV-2026-001.pdf", "application/pdf")
    assert content == small_pdf
    assert content.startswith(b"%PDF-")
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 1)


def test_server_down_then_back_sends_exactly_once(
    smtp_server, small_pdf, django_capture_on_commit_callbacks
):
    smtp_server.stop()
    with django_capture_on_commit_callbacks(execute=True):
        message = queue_invoice(small_pdf)

    message.refresh_from_db()
    assert (message.status, message.attempts) == ("queued", 1)
    assert message.last_error.startswith("ConnectionRefusedError: ")
    assert message.next_attempt_at - message.updated_at == timedelta(seconds=60)

    smtp_server.start()
    call_command("send_emails")  # not due yet: nothing happens
    assert smtp_server.messages == []
    EmailMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    call_command("send_emails")
    call_command("send_emails")

    assert len(smtp_server.wait_for(1)) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 2)


def test_a_refusal_by_the_server_is_recorded_as_the_error(smtp_server):
    from mail import sending
    from tests.mail.factories import EmailMessageFactory

    smtp_server.reply = "550 5.1.1 Mailbox unavailable"
    message = EmailMessageFactory()

    result = sending.email_send(message_id=message.pk)

    assert result.outcome == "retrying"
    message.refresh_from_db()
    assert message.last_error.startswith("SMTPDataError: (550, b'5.1.1 Mailbox unavailable')")
    assert smtp_server.messages == []
