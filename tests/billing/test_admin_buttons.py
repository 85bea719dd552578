"""Header buttons of the invoice and quote pages (issue #15): one PDF route per document, the
quote's Convert button through `quote_convert`, money shown one way in the credit note list."""

import datetime

import pytest

from billing import services
from billing.models import Invoice, Quote
from tests.billing.factories import item, make_invoice, make_quote
from tests.billing.test_admin import messages_of, staff  # noqa: F401

pytestmark = pytest.mark.django_db


def test_the_invoice_page_links_its_pdf_once_and_the_link_downloads(staff):  # noqa: F811
    invoice = make_invoice()
    pdf_url = f"/admin/billing/invoice/{invoice.pk}/pdf/"

    page = staff.get(f"/admin/billing/invoice/{invoice.pk}/change/").content.decode()
    response = staff.get(pdf_url)

    assert page.count(f'href="{pdf_url}"') == 1
    assert response["Content-Disposition"] == f'attachment; filename="{invoice.invoice_number}.pdf"'
    assert response.content.startswith(b"%PDF-")


def test_the_quote_page_offers_convert_and_pdf(staff):  # noqa: F811
    quote = make_quote()

    page = staff.get(f"/admin/billing/quote/{quote.pk}/change/").content.decode()
    pdf = staff.get(f"/admin/billing/quote/{quote.pk}/pdf/")

    assert f'action="/admin/billing/quote/{quote.pk}/convert/"' in page
    assert f'href="/admin/billing/quote/{quote.pk}/pdf/"' in page
    assert pdf.content.startswith(b"%PDF-")
    assert pdf["Content-Disposition"].startswith("attachment;")


def test_the_convert_button_makes_the_invoice_and_opens_it(staff):  # noqa: F811
    quote = make_quote()  # dated today, valid for the default period

    response = staff.post(f"/admin/billing/quote/{quote.pk}/convert/", follow=True)

    invoice = Invoice.objects.get()
    quote.refresh_from_db()
    assert (quote.status, quote.invoice_id) == ("Converted", invoice.pk)
    assert response.redirect_chain[-1][0] == f"/admin/billing/invoice/{invoice.pk}/change/"
    assert f"converted to {invoice.invoice_number}." in messages_of(response)[0]
    page = staff.get(f"/admin/billing/quote/{quote.pk}/change/").content.decode()
    assert "/convert/" not in page  # converted once, the button is gone


def test_a_refused_conversion_is_a_message_and_changes_nothing(staff):  # noqa: F811
    quote = make_quote()
    Quote.objects.filter(pk=quote.pk).update(status="Declined")

    response = staff.post(f"/admin/billing/quote/{quote.pk}/convert/", follow=True)

    assert response.redirect_chain[-1][0] == f"/admin/billing/quote/{quote.pk}/change/"
    assert messages_of(response)[0] == "This quote is Declined and cannot be converted."
    assert "/convert/" not in response.content.decode()  # no button for a declined quote
    assert Invoice.objects.count() == 0
    assert Quote.objects.get(pk=quote.pk).status == "Declined"


def test_only_the_buttons_post_converts(staff):  # noqa: F811
    quote = make_quote()

    response = staff.get(f"/admin/billing/quote/{quote.pk}/convert/")

    assert response.status_code == 302
    assert Invoice.objects.count() == 0


def test_a_viewer_cannot_convert(client):
    from users.services import user_create

    quote = make_quote()
    client.force_login(user_create(email="viewer@example.com", name="V", role="viewer"))

    response = client.post(f"/admin/billing/quote/{quote.pk}/convert/")

    assert response.status_code == 403
    assert Invoice.objects.count() == 0


def test_the_credit_note_list_shows_money_formatted(staff):  # noqa: F811
    invoice = make_invoice(items=[item("2000")], date=datetime.date(2026, 3, 1))
    services.credit_note_create(
        invoice=invoice, items=[item("1234.5")], reason="x", date=datetime.date(2026, 3, 2)
    )

    page = staff.get("/admin/billing/creditnote/").content.decode()

    assert "$1,234.50" in page
