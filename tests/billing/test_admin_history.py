"""The "History" panel (issue #17) on the invoice, quote and credit note pages: the audit
trail's entries for that document, with who made them, in one query."""

import datetime

import pytest

from billing import services
from tests.billing.factories import item, make_invoice, make_quote
from tests.billing.test_admin import form_data, messages_of, staff  # noqa: F401

pytestmark = pytest.mark.django_db


def history(response) -> str:
    """The panel's cell: the readonly `audit_history` field of the change form."""
    for fieldset in response.context["adminform"]:
        for line in fieldset:
            for field in line:
                if field.is_readonly and field.field["name"] == "audit_history":
                    return str(field.contents())
    raise AssertionError("no History panel on the page")


def test_the_invoice_page_shows_who_changed_it(staff):  # noqa: F811
    invoice = make_invoice(items=[item("100.00")], date=datetime.date(2026, 3, 1))
    other = make_invoice(items=[item("50.00")], date=datetime.date(2026, 3, 1))
    url = f"/admin/billing/invoice/{invoice.pk}/change/"
    data = form_data(staff.get(url))
    data["notes"] = "Deliver to the back door"
    saved = staff.post(url, data)
    assert saved.status_code == 302, messages_of(saved)

    panel = history(staff.get(url))

    # Newest first: the clerk's edit (by name, with the field), then the creation by the system.
    assert panel.index("invoice.updated") < panel.index("invoice.created")
    assert "clerk@example.com" in panel and "notes" in panel
    assert f"?resource=invoice&amp;resource_id={invoice.pk}" in panel
    assert panel.count("<tr>") == 2  # the other invoice's entry is not here
    assert other.pk != invoice.pk


def test_the_panel_costs_one_query(staff, django_assert_num_queries):  # noqa: F811
    from django.contrib import admin

    from billing.admin import InvoiceAdmin
    from billing.models import Invoice

    invoice = make_invoice()
    page = InvoiceAdmin(Invoice, admin.site)

    with django_assert_num_queries(1):
        page.audit_history(invoice)


def test_the_add_page_has_no_history_panel(staff):  # noqa: F811
    response = staff.get("/admin/billing/invoice/add/")

    assert response.status_code == 200
    with pytest.raises(AssertionError, match="no History panel"):
        history(response)


def test_the_quote_page_shows_its_history(staff):  # noqa: F811
    quote = make_quote()

    panel = history(staff.get(f"/admin/billing/quote/{quote.pk}/change/"))

    assert "quote.created" in panel


def test_the_credit_note_page_shows_its_history(staff):  # noqa: F811
    invoice = make_invoice(items=[item("100.00")], date=datetime.date(2026, 3, 1))
    note = services.credit_note_create(
        invoice=invoice, items=[item("10.00")], reason="Damaged", date=datetime.date(2026, 3, 2)
    )

    panel = history(staff.get(f"/admin/billing/creditnote/{note.pk}/change/"))

    assert "credit_note.created" in panel
