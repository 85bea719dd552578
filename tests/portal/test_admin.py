"""The admin's portal buttons: "Open portal" and "Copy link" on an issued document's page, and
"New portal link", which goes through the same service as the API."""

import pytest

from audit.models import AuditEvent
from billing import services
from billing.models import CreditNote, Invoice, Quote
from tests.billing.factories import item, make_invoice, make_quote
from tests.billing.test_admin import staff  # noqa: F401
from tests.portal.conftest import SITE

pytestmark = pytest.mark.django_db


def test_an_issued_invoice_page_offers_open_and_copy(staff):  # noqa: F811
    invoice = make_invoice()

    page = staff.get(f"/admin/billing/invoice/{invoice.pk}/change/").content.decode()

    link = f"{SITE}/portal/{invoice.portal_token}"
    assert f'href="{link}"' in page and 'id="ll-portal-open"' in page
    assert f'data-url="{link}"' in page and "Copy link" in page
    assert f'formaction="/admin/billing/invoice/{invoice.pk}/portal-link/"' in page


def test_a_draft_page_has_no_portal_buttons(staff):  # noqa: F811
    draft = make_invoice(status="Draft")

    page = staff.get(f"/admin/billing/invoice/{draft.pk}/change/").content.decode()

    assert "ll-portal-open" not in page and "ll-portal-rotate" not in page


def test_new_portal_link_replaces_the_token_through_the_service(staff):  # noqa: F811
    invoice = make_invoice()

    response = staff.post(f"/admin/billing/invoice/{invoice.pk}/portal-link/", follow=True)

    assert response.redirect_chain[0][0] == f"/admin/billing/invoice/{invoice.pk}/change/"
    assert "new portal link" in response.content.decode()
    assert Invoice.objects.get(pk=invoice.pk).portal_token != invoice.portal_token
    entry = AuditEvent.objects.get(action="invoice.portal_link_rotated")
    assert (entry.actor_type, entry.actor_name) == ("user", "clerk@example.com")


def test_a_get_on_new_portal_link_changes_nothing(staff):  # noqa: F811
    invoice = make_invoice()

    staff.get(f"/admin/billing/invoice/{invoice.pk}/portal-link/")

    assert Invoice.objects.get(pk=invoice.pk).portal_token == invoice.portal_token


def test_quotes_and_credit_notes_have_the_buttons_too(staff):  # noqa: F811
    quote = make_quote(status="Sent")
    note = services.credit_note_create(invoice=make_invoice(), items=[item("10.00")], reason="Typo")

    for path, document in (("quote", quote), ("creditnote", note)):
        page = staff.get(f"/admin/billing/{path}/{document.pk}/change/").content.decode()
        assert f"/portal/{document.portal_token}" in page, path
        staff.post(f"/admin/billing/{path}/{document.pk}/portal-link/")

    assert Quote.objects.get(pk=quote.pk).portal_token != quote.portal_token
    assert CreditNote.objects.get(pk=note.pk).portal_token != note.portal_token
