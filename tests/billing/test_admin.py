"""Staff can do all of billing in the admin, and every write goes through the services."""

import datetime
import io
import zipfile
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from billing.models import Invoice, Payment, Quote
from ledger.models import Transaction
from tests.billing.factories import (
    AccountFactory,
    ProductFactory,
    item,
    make_invoice,
    make_payment,
    make_quote,
)
from tests.factories import CustomerFactory
from users.services import user_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff() -> Client:
    user = user_create(email="clerk@example.com", name="Clerk", role="staff")
    client = Client()
    client.force_login(user)
    return client


def _plain(value):
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime.date | Decimal | int):
        return str(value)
    return value


def form_data(response) -> dict:
    """The POST body the admin page would send back unchanged."""
    data = {}
    form = response.context["adminform"].form
    for name in form.fields:
        value = form[name].value()
        if value is not None and value is not False:
            data[name] = _plain(value)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[f"{formset.prefix}-{name}"] = management[name].value()
        for sub in formset.forms:
            for name in sub.fields:
                value = sub[name].value()
                if value is not None and value is not False:
                    data[sub.add_prefix(name)] = _plain(value)
    return data


def messages_of(response) -> list[str]:
    """Flash messages, plus form errors when the admin re-rendered the page."""
    found = [str(m) for m in get_messages(response.wsgi_request)]
    if response.context and "adminform" in response.context:
        found.append(str(response.context["adminform"].form.errors))
        found += [str(i.formset.errors) for i in response.context["inline_admin_formsets"]]
    return found


@pytest.mark.parametrize("model", ["invoice", "quote", "product", "payment"])
def test_changelists_open(staff, model):
    make_payment(make_invoice(), "10")
    make_quote()

    assert staff.get(f"/admin/billing/{model}/").status_code == 200


@pytest.mark.parametrize("model", ["invoice", "quote", "product"])
def test_add_pages_open(staff, model):
    assert staff.get(f"/admin/billing/{model}/add/").status_code == 200


def test_invoice_change_page_opens(staff):
    invoice = make_invoice()
    make_payment(invoice, "10")

    assert staff.get(f"/admin/billing/invoice/{invoice.pk}/change/").status_code == 200


def test_invoice_search_by_customer(staff):
    make_invoice(customer=CustomerFactory(account="Globex Industries"))
    make_invoice(customer=CustomerFactory(account="Initech"))

    response = staff.get("/admin/billing/invoice/?q=globex")

    assert [i.customer.account for i in response.context["cl"].result_list] == ["Globex Industries"]


def test_invoice_status_filter(staff):
    paid = make_invoice(items=[item("10")])
    make_payment(paid, "10")
    make_invoice()

    response = staff.get("/admin/billing/invoice/?status__exact=Paid")

    assert [i.pk for i in response.context["cl"].result_list] == [paid.pk]


def test_staff_creates_invoice_with_items_and_a_payment(staff):
    customer = CustomerFactory()
    product = ProductFactory(name="Web Hosting", price=Decimal("99.99"), tax_rate=Decimal("10"))
    account = AccountFactory()
    data = form_data(staff.get("/admin/billing/invoice/add/"))
    data.update(
        {
            "customer": customer.pk,
            "date": "2024-01-15",
            "due_date": "2024-02-15",
            "status": "Unpaid",
            "discount": "0",
            "items-TOTAL_FORMS": "2",
            "items-0-description": "Web Development",
            "items-0-qty": "2",
            "items-0-amount": "150.01",
            "items-0-tax_rate": "10",
            "items-1-product": product.pk,
            "items-1-qty": "1",
            "payments-TOTAL_FORMS": "1",
            "payments-0-amount": "100.00",
            "payments-0-date": "2024-01-20",
            "payments-0-account": account.pk,
            "payments-0-method": "card",
        }
    )

    response = staff.post("/admin/billing/invoice/add/", data)

    assert response.status_code == 302, messages_of(response)
    invoice = Invoice.objects.get()
    # 2 x 150.01 = 300.02 + 30.00 tax; the hosting line takes the product's 99.99 + 10 %.
    assert (invoice.invoice_number, invoice.subtotal, invoice.tax, invoice.total) == (
        "INV-2024-001",
        Decimal("400.01"),
        Decimal("40.00"),
        Decimal("440.01"),
    )
    assert (invoice.status, invoice.amount_paid, invoice.balance_due) == (
        "Partially Paid",
        Decimal("100.00"),
        Decimal("340.01"),
    )
    assert [i.description for i in invoice.items.all()] == ["Web Development", "Web Hosting"]
    payment = Payment.objects.get()
    assert (payment.transaction.type, payment.transaction.amount) == ("Income", Decimal("100.00"))


def test_staff_records_a_payment_on_an_existing_invoice(staff):
    invoice = make_invoice(items=[item("200")])
    make_payment(invoice, "50")
    account = AccountFactory()
    url = f"/admin/billing/invoice/{invoice.pk}/change/"
    data = form_data(staff.get(url))
    n = int(data["payments-TOTAL_FORMS"])
    data.update(
        {
            "payments-TOTAL_FORMS": str(n + 1),
            f"payments-{n}-amount": "150",
            f"payments-{n}-date": "2024-02-01",
            f"payments-{n}-account": account.pk,
            f"payments-{n}-method": "bank_transfer",
        }
    )

    response = staff.post(url, data)

    assert response.status_code == 302, messages_of(response)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid, invoice.balance_due) == (
        "Paid",
        Decimal("200.00"),
        Decimal("0.00"),
    )
    assert Transaction.objects.filter(account=account, amount=Decimal("150.00")).count() == 1


def test_admin_overpayment_is_refused_and_nothing_changes(staff):
    invoice = make_invoice(items=[item("100")])
    url = f"/admin/billing/invoice/{invoice.pk}/change/"
    data = form_data(staff.get(url))
    data.update(
        {
            "payments-TOTAL_FORMS": "1",
            "payments-0-amount": "100.01",
            "payments-0-date": "2024-02-01",
            "payments-0-account": AccountFactory().pk,
            "payments-0-method": "cash",
        }
    )

    response = staff.post(url, data, follow=True)

    assert "amount: Amount is more than the balance due (100.00)." in messages_of(response)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid) == ("Unpaid", Decimal("0.00"))
    assert Payment.objects.count() == 0


def test_staff_edits_a_drafts_items_and_totals_are_recomputed(staff):
    invoice = make_invoice(items=[item("100")], status="Draft")
    url = f"/admin/billing/invoice/{invoice.pk}/change/"
    data = form_data(staff.get(url))
    data["items-0-amount"] = "120"

    response = staff.post(url, data)

    assert response.status_code == 302, messages_of(response)
    invoice.refresh_from_db()
    # A draft owes nothing until it is issued.
    assert (invoice.total, invoice.balance_due) == (Decimal("120.00"), Decimal("0.00"))


def test_paid_invoice_cannot_be_deleted_in_the_admin(staff):
    invoice = make_invoice(items=[item("10")])
    make_payment(invoice, "10")

    response = staff.post(f"/admin/billing/invoice/{invoice.pk}/delete/", {"post": "yes"})

    # The service refuses; the admin shows why on the page (never a 403).
    assert response.status_code == 302
    assert (
        "Only draft invoices can be deleted; cancel an issued invoice or issue a credit note "
        "instead." in messages_of(response)
    )
    assert Invoice.objects.filter(pk=invoice.pk).exists()


def test_draft_invoice_can_be_deleted_in_the_admin(staff):
    invoice = make_invoice(status="Draft")

    response = staff.post(f"/admin/billing/invoice/{invoice.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Invoice.objects.filter(pk=invoice.pk).exists()


def test_download_one_pdf(staff):
    invoice = make_invoice()

    response = staff.post(
        "/admin/billing/invoice/",
        {"action": "download_pdfs", "_selected_action": [invoice.pk]},
    )

    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")


def test_download_several_pdfs_as_zip(staff):
    invoices = [make_invoice(), make_invoice()]

    response = staff.post(
        "/admin/billing/invoice/",
        {"action": "download_pdfs", "_selected_action": [i.pk for i in invoices]},
    )

    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(archive.namelist()) == ["INV-2024-001.pdf", "INV-2024-002.pdf"]
    assert archive.read("INV-2024-001.pdf").startswith(b"%PDF-")


def test_void_payment_action(staff):
    invoice = make_invoice(items=[item("10")])
    payment = make_payment(invoice, "10")

    staff.post(
        "/admin/billing/payment/",
        {"action": "void_payments", "_selected_action": [payment.pk]},
    )

    invoice.refresh_from_db()
    payment.refresh_from_db()
    assert payment.voided_at is not None
    assert (invoice.status, invoice.balance_due) == ("Unpaid", Decimal("10.00"))


def test_staff_creates_a_quote_and_converts_it(staff):
    customer = CustomerFactory()
    data = form_data(staff.get("/admin/billing/quote/add/"))
    data.update(
        {
            "customer": customer.pk,
            "date": "2024-01-10",
            "valid_until": "2099-01-01",
            "status": "Sent",
            "discount": "0",
            "items-TOTAL_FORMS": "1",
            "items-0-description": "Consulting Services",
            "items-0-qty": "1",
            "items-0-amount": "2000",
            "items-0-tax_rate": "0",
        }
    )
    response = staff.post("/admin/billing/quote/add/", data)
    assert response.status_code == 302, messages_of(response)
    quote = Quote.objects.get()

    response = staff.post(
        "/admin/billing/quote/",
        {"action": "convert_to_invoice", "_selected_action": [quote.pk]},
        follow=True,
    )

    quote.refresh_from_db()
    assert quote.status == "Converted"
    assert quote.invoice.total == Decimal("2000.00")
    assert f"QUO-2024-001 converted to {quote.invoice.invoice_number}." in messages_of(response)


def test_convert_action_reports_a_declined_quote(staff):
    quote = make_quote(status="Declined")

    response = staff.post(
        "/admin/billing/quote/",
        {"action": "convert_to_invoice", "_selected_action": [quote.pk]},
        follow=True,
    )

    assert f"{quote.quote_number}: This quote is Declined and cannot be converted." in messages_of(
        response
    )
    assert Invoice.objects.count() == 0


def test_staff_creates_a_product(staff):
    response = staff.post(
        "/admin/billing/product/add/",
        {"name": "Dock", "type": "product", "price": "189.00", "tax_rate": "8.25"},
    )

    assert response.status_code == 302
    assert Quote.objects.count() == 0
    from billing.models import Product

    assert Product.objects.get().price == Decimal("189.00")


# --- lifecycle buttons and credit notes ------------------------------------------------------


def test_issue_button_issues_a_draft(staff):
    from audit.models import AuditEvent

    draft = make_invoice(status="Draft")

    response = staff.post(f"/admin/billing/invoice/{draft.pk}/issue/", follow=True)

    draft.refresh_from_db()
    assert (draft.status, draft.invoice_number) == ("Unpaid", "INV-2024-001")
    assert "Issued as INV-2024-001." in messages_of(response)
    entry = AuditEvent.objects.get(action="invoice.issued")
    assert (entry.actor_type, entry.actor_name) == ("user", "clerk@example.com")


def test_issue_button_refusal_is_a_message(staff):
    invoice = make_invoice()

    response = staff.post(f"/admin/billing/invoice/{invoice.pk}/issue/", follow=True)

    assert "Only a draft can be issued; INV-2024-001 is Unpaid." in messages_of(response)
    invoice.refresh_from_db()
    assert invoice.status == "Unpaid"


def test_change_page_shows_the_buttons_the_status_allows(staff):
    draft = make_invoice(status="Draft")
    issued = make_invoice()

    draft_page = staff.get(f"/admin/billing/invoice/{draft.pk}/change/").content.decode()
    issued_page = staff.get(f"/admin/billing/invoice/{issued.pk}/change/").content.decode()

    assert "/issue/" in draft_page and "/cancel/" not in draft_page
    assert "/cancel/" in issued_page and f"creditnote/add/?invoice={issued.pk}" in issued_page
    # No status select once created; an issued invoice's customer and items are read-only.
    assert 'name="status"' not in issued_page and 'name="customer"' not in issued_page
    assert 'name="items-0-amount"' not in issued_page
    assert 'name="items-0-amount"' in draft_page


def test_cancel_asks_for_a_reason_and_cancels(staff):
    invoice = make_invoice()
    url = f"/admin/billing/invoice/{invoice.pk}/cancel/"

    assert staff.get(url).status_code == 200
    response = staff.post(url, {"reason": "Wrong customer"}, follow=True)

    invoice.refresh_from_db()
    assert (invoice.status, invoice.cancel_reason) == ("Cancelled", "Wrong customer")
    assert "INV-2024-001 cancelled." in messages_of(response)


def test_cancel_refusal_is_a_message(staff):
    invoice = make_invoice(items=[item("100")])
    make_payment(invoice, "10")

    response = staff.post(
        f"/admin/billing/invoice/{invoice.pk}/cancel/", {"reason": "x"}, follow=True
    )

    assert any("cannot be cancelled" in m for m in messages_of(response))
    invoice.refresh_from_db()
    assert invoice.status == "Partially Paid"


def test_staff_issues_a_credit_note_with_a_refund(staff):
    from billing.models import CreditNote

    invoice = make_invoice(items=[item("100")])
    make_payment(invoice, "100")
    account = AccountFactory()
    page = staff.get(f"/admin/billing/creditnote/add/?invoice={invoice.pk}")
    data = form_data(page)
    data.update(
        {
            "invoice": invoice.pk,
            "date": "2024-02-01",
            "reason": "Returned",
            "settlement": "refund",
            "account": account.pk,
            "items-TOTAL_FORMS": "1",
            "items-0-description": "Returned",
            "items-0-qty": "1",
            "items-0-amount": "25",
            "items-0-tax_rate": "0",
        }
    )

    response = staff.post("/admin/billing/creditnote/add/", data)

    assert response.status_code == 302, messages_of(response)
    note = CreditNote.objects.get()
    assert (note.credit_note_number, note.total, note.settled_amount) == (
        "CN-2024-001",
        Decimal("25.00"),
        Decimal("25.00"),
    )
    assert note.transaction.account_id == account.pk
    detail = staff.get(f"/admin/billing/creditnote/{note.pk}/change/")
    pdf = staff.get(f"/admin/billing/creditnote/{note.pk}/pdf/")
    assert detail.status_code == 200 and "CN-2024-001.pdf" in detail.content.decode()
    assert pdf.content.startswith(b"%PDF-")
    assert staff.get("/admin/billing/creditnote/").status_code == 200


def test_credit_note_refusal_in_the_admin_writes_nothing(staff):
    from billing.models import CreditNote

    invoice = make_invoice(items=[item("100")])
    make_payment(invoice, "100")
    data = form_data(staff.get("/admin/billing/creditnote/add/"))
    data.update(
        {
            "invoice": invoice.pk,
            "reason": "Returned",
            "items-TOTAL_FORMS": "1",
            "items-0-description": "Returned",
            "items-0-qty": "1",
            "items-0-amount": "25",
        }
    )

    response = staff.post("/admin/billing/creditnote/add/", data, follow=True)

    assert any("settle it as refund or credit" in m for m in messages_of(response))
    assert CreditNote.objects.count() == 0
