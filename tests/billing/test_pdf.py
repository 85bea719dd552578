import base64
import datetime
import io
import re
import zlib

import pytest

from tests.billing.factories import item, make_invoice, make_payment
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> str:
    """The text drawn on the pages. reportlab encodes page streams as ASCII85 over zlib."""
    chunks = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", content, re.S):
        try:
            raw = base64.a85decode(stream.strip().removesuffix(b"~>"), adobe=False)
            chunks.append(zlib.decompress(raw).decode("latin-1"))
        except (ValueError, zlib.error):
            continue
    return " ".join(re.findall(r"\((.*?)\) Tj", "".join(chunks)))


@pytest.fixture
def invoice():
    invoice = make_invoice(
        customer=CustomerFactory(account="Acme Corp", city="New York"),
        items=[item("150.00", qty=40, description="Web Development", tax_rate=10)],
        date=datetime.date(2024, 1, 15),
        notes="Payment due within 30 days",
    )
    make_payment(invoice, "1000.00")
    return invoice


def test_pdf_is_a_pdf(api, invoice):
    response = api.get(f"/api/v2/invoices/{invoice.pk}/pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="INV-2024-001.pdf"'
    assert response.content.startswith(b"%PDF-")
    assert b"%%EOF" in response.content[-16:]


def test_pdf_shows_company_customer_items_totals_and_status(api, invoice, settings):
    settings.COMPANY_NAME = "Ledgerline Test Co."

    text = pdf_text(api.get(f"/api/v2/invoices/{invoice.pk}/pdf").content)

    for expected in [
        "Ledgerline Test Co.",
        "INV-2024-001",
        "Acme Corp",
        "Web Development",
        "6,000.00",  # line amount
        "Tax 10%",
        "600.00",  # tax
        "6,600.00",  # total
        "1,000.00",  # amount paid
        "5,600.00",  # balance due
        "PARTIALLY PAID",
        "Payment due within 30 days",
    ]:
        assert expected in text, expected


def test_pdf_of_unknown_invoice_is_a_json_404(api):
    response = api.get("/api/v2/invoices/999/pdf")

    assert response.status_code == 404
    assert response.json() == {"success": False, "message": "Not found."}


def test_viewer_can_download_the_pdf(client_for, invoice):
    response = client_for("viewer").get(f"/api/v2/invoices/{invoice.pk}/pdf")

    assert response.status_code == 200


def test_pdf_requires_a_key(anon, invoice):
    response = anon.get(f"/api/v2/invoices/{invoice.pk}/pdf")

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"


def test_long_invoice_breaks_across_pages(api):
    invoice = make_invoice(items=[item("1.00", description=f"Line {n}") for n in range(80)])

    content = api.get(f"/api/v2/invoices/{invoice.pk}/pdf").content

    text = pdf_text(content)
    assert len(re.findall(rb"/Type /Page[^s]", content)) >= 2
    assert "Page 2" in text
    assert "Line 79" in text


def test_pdf_bytes_render(api, invoice):
    from billing.pdf import invoice_pdf
    from billing.selectors import invoice_for_document

    content = invoice_pdf(invoice_for_document(invoice_id=invoice.pk))

    assert io.BytesIO(content).read(5) == b"%PDF-"
