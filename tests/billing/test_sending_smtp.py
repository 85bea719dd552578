"""Invoices, quotes and receipts as a real SMTP server on loopback receives them (aiosmtpd,
tests/mail/smtp_server.py): recipients, subject, both bodies and a PDF that opens."""

import datetime
import io

import pytest
from django.core.management import call_command
from pypdf import PdfReader

from billing.models import Invoice
from billing.portal_links import portal_url
from tests.billing.factories import AccountFactory, item, make_invoice, make_payment, make_quote
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mail_settings")]


def pdf_pages_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def customer():
    return CustomerFactory(account="Jane Doe Ltd", email="jane@example.com")


@pytest.fixture
def invoice(customer):
    return make_invoice(
        customer=customer,
        items=[item("1500.00", description="Web Development")],
        date=datetime.date(2026, 3, 1),
        due_date=datetime.date(2026, 3, 31),
    )


def test_the_server_receives_the_invoice_with_its_pdf(
    api, invoice, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            f"/api/v2/invoices/{invoice.pk}/send",
            {"cc": ["accounts@example.com"], "message": "Thank you for March."},
            format="json",
        )
    assert response.status_code == 202

    [received] = smtp_server.wait_for(1)
    number = invoice.invoice_number
    assert received.mail_from == "billing@acme.test"
    assert sorted(received.rcpt_tos) == ["accounts@example.com", "jane@example.com"]
    assert str(received.parsed["To"]) == "jane@example.com"
    assert received.subject == f"Invoice {number} from Acme & Sons Ltd"
    text = received.text()
    assert text.startswith(
        f"Hello Jane Doe Ltd,\n\nThank you for March.\n\n"
        f"Invoice {number} for $1,500.00 is attached as a PDF.\n"
        "It is due on 31 Mar 2026.\n"
    )
    # The client portal's link (docs/portal.md), in both bodies.
    invoice.refresh_from_db()
    link = portal_url(invoice)
    assert link and f"View it online: {link}" in text
    assert link in received.html()
    html = received.html()
    assert f"<strong>{number}</strong>" in html
    assert "<strong>$1,500.00</strong>" in html
    assert "Acme &amp; Sons Ltd" in html
    [(filename, content, mimetype)] = received.attachments()
    assert (filename, mimetype) == (f"{number}.pdf", "application/pdf")
    assert content.startswith(b"%PDF-")
    pages = pdf_pages_text(content)
    assert number in pages
    assert "Web Development" in pages
    assert "Jane Doe Ltd" in pages


def test_the_server_receives_the_quote_with_its_pdf(
    api, customer, smtp_server, django_capture_on_commit_callbacks
):
    quote = make_quote(
        customer=customer,
        items=[item("2000.00", description="Consulting Services")],
        date=datetime.date(2026, 3, 1),
        valid_until=datetime.date(2026, 3, 31),
    )

    with django_capture_on_commit_callbacks(execute=True):
        api.post(f"/api/v2/quotes/{quote.pk}/send", {"to": ["buyer@example.com"]}, format="json")

    [received] = smtp_server.wait_for(1)
    quote.refresh_from_db()  # a draft takes its number as it leaves Draft
    number = quote.quote_number
    assert number is not None
    assert received.rcpt_tos == ["buyer@example.com"]
    assert received.subject == f"Quote {number} from Acme & Sons Ltd"
    assert received.text().startswith(
        f"Hello Jane Doe Ltd,\n\nQuote {number} for $2,000.00 is attached as a PDF.\n"
        "It is valid until 31 Mar 2026.\n"
    )
    assert f"<strong>{number}</strong>" in received.html()
    [(filename, content, mimetype)] = received.attachments()
    assert (filename, mimetype) == (f"{number}.pdf", "application/pdf")
    assert content.startswith(b"%PDF-")
    pages = pdf_pages_text(content)
    assert "QUOTE" in pages
    assert number in pages
    assert "Consulting Services" in pages
    assert "2,000.00" in pages


def test_a_recorded_payment_sends_a_receipt(
    api, invoice, smtp_server, django_capture_on_commit_callbacks
):
    account = AccountFactory()

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            f"/api/v2/invoices/{invoice.pk}/payments",
            {"amount": "500.00", "date": "2026-03-10", "account_id": account.pk},
            format="json",
        )
    assert response.status_code == 201

    [received] = smtp_server.wait_for(1)
    assert received.rcpt_tos == ["jane@example.com"]
    assert received.subject == f"Payment received for invoice {invoice.invoice_number}"
    text = received.text()
    assert text.startswith(
        "Hello Jane Doe Ltd,\n\nWe received your payment of $500.00 on 10 Mar 2026 for "
        f"invoice {invoice.invoice_number}. Thank you.\n"
        "Balance still due on this invoice: $1,000.00.\n"
    )
    assert "<strong>$500.00</strong>" in received.html()
    assert received.attachments() == []


def test_a_payment_in_full_receipt_says_no_balance(
    invoice, smtp_server, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        make_payment(invoice, "1500.00", date=datetime.date(2026, 3, 10))

    [received] = smtp_server.wait_for(1)
    assert "Balance still due" not in received.text()
    assert Invoice.objects.get(pk=invoice.pk).status == "Paid"


def test_the_server_receives_a_reminder_with_the_invoice_pdf(
    invoice, smtp_server, settings, django_capture_on_commit_callbacks
):
    settings.INVOICE_REMINDER_DAYS = [-3, 1, 7, 14]

    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders", "--date", "2026-04-03", stdout=io.StringIO())

    [received] = smtp_server.wait_for(1)
    number = invoice.invoice_number
    assert received.rcpt_tos == ["jane@example.com"]
    assert received.subject == f"Overdue: invoice {number} was due on 31 Mar 2026"
    assert received.text().startswith(
        f"Hello Jane Doe Ltd,\n\nInvoice {number} was due on 31 Mar 2026 and $1,500.00 is "
        "still outstanding."
    )
    assert "still outstanding" in received.html()
    [(filename, content, _)] = received.attachments()
    assert filename == f"{number}.pdf"
    assert number in pdf_pages_text(content)
