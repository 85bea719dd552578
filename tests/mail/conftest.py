import io

import pytest
from reportlab.pdfgen import canvas

from tests.mail.smtp_server import SmtpServer


@pytest.fixture(autouse=True)
def mail_enabled(settings):
    """Sending configured (pytest-django already swapped the backend for locmem), the
    company details fixed, and a retry schedule the tests can read."""
    settings.EMAIL_ENABLED = True
    settings.DEFAULT_FROM_EMAIL = "Acme Billing <billing@acme.test>"
    settings.COMPANY_NAME = "Acme & Sons Ltd"
    settings.COMPANY_ADDRESS = "1 Ledger Lane, Springfield"
    settings.COMPANY_EMAIL = "billing@acme.test"
    settings.COMPANY_PHONE = "+1 555 0100"
    settings.COMPANY_WEBSITE = "https://acme.test"
    settings.EMAIL_RETRY_DELAYS = [60, 300, 1800, 7200]
    settings.EMAIL_TIMEOUT = 5
    return settings


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on a free loopback port, with Django's email settings pointing at
    it."""
    with SmtpServer() as server:
        for name, value in server.settings().items():
            setattr(settings, name, value)
        yield server


@pytest.fixture(scope="session")
def small_pdf() -> bytes:
    """A small real PDF, made by the same library as the invoices."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.drawString(72, 720, "Invoice INV-2026-001")
    pdf.save()
    return buffer.getvalue()
