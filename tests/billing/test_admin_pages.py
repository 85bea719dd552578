"""The invoice and quote pages a clerk works on: the overdue flag and filter, balances only
where something is owed, the PDF button, product defaults, default dates, the status choices,
and refusals shown as the service's words."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone

from billing.models import Invoice, InvoiceStatus
from tests.billing.factories import ProductFactory, item, make_invoice, make_payment
from tests.factories import CustomerFactory
from users.services import user_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff() -> Client:
    client = Client()
    client.force_login(user_create(email="clerk@example.com", name="Clerk", role="staff"))
    return client


def _rows(response) -> list[str]:
    return [str(invoice) for invoice in response.context["cl"].result_list]


def overdue_and_paid():
    today = timezone.localdate()
    overdue = make_invoice(
        date=today - datetime.timedelta(days=40), due_date=today - datetime.timedelta(days=10)
    )
    paid = make_invoice(
        date=today - datetime.timedelta(days=40), due_date=today - datetime.timedelta(days=10)
    )
    make_payment(paid, paid.total, date=today)
    current = make_invoice(date=today, due_date=today + datetime.timedelta(days=30))
    return overdue, paid, current


def test_overdue_filter_lists_only_overdue_invoices(staff):
    overdue, _paid, _current = overdue_and_paid()

    response = staff.get("/admin/billing/invoice/?overdue=1")

    assert _rows(response) == [overdue.invoice_number]


def test_not_overdue_filter_lists_the_others(staff):
    overdue, paid, current = overdue_and_paid()

    response = staff.get("/admin/billing/invoice/?overdue=0")

    assert sorted(_rows(response)) == sorted([paid.invoice_number, current.invoice_number])


def test_overdue_column_flags_the_overdue_invoice_with_its_days_only(staff):
    overdue, paid, _current = overdue_and_paid()

    html = staff.get("/admin/billing/invoice/").content.decode()

    assert html.count("ll-overdue-flag") == 1
    assert "&#9888; 10 d" in html or "⚠ 10 d" in html
    assert "icon-yes.svg" not in html and "icon-no.svg" not in html


def test_balances_show_only_where_something_is_owed(staff):
    today = timezone.localdate()
    make_invoice(items=[item("111.11")], date=today, status=InvoiceStatus.DRAFT)
    owed = make_invoice(items=[item("222.22")], date=today)

    html = staff.get("/admin/billing/invoice/").content.decode()

    assert html.count("$111.11") == 1  # the draft's total, no balance
    assert html.count("$222.22") == 2  # the unpaid one's total and balance
    assert owed.balance_due == Decimal("222.22")


def test_money_in_lists_has_its_currency(staff):
    make_invoice(items=[item("6709.99")])

    html = staff.get("/admin/billing/invoice/").content.decode()

    assert "$6,709.99" in html
    assert ">6709.99<" not in html


def test_pdf_downloads_from_the_invoice_page(staff):
    invoice = make_invoice()
    page = staff.get(f"/admin/billing/invoice/{invoice.pk}/change/").content.decode()
    assert f"/admin/billing/invoice/{invoice.pk}/pdf/" in page

    response = staff.get(f"/admin/billing/invoice/{invoice.pk}/pdf/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert invoice.invoice_number in response["Content-Disposition"]


def test_product_line_defaults_for_staff(staff):
    product = ProductFactory(name="Hosting", price=Decimal("99.99"), tax_rate=Decimal("7.5"))

    response = staff.get(f"/admin/billing/product/{product.pk}/line-defaults/")

    assert response.json() == {
        "id": product.pk,
        "description": "Hosting",
        "amount": "99.99",
        "tax_rate": "7.50",
    }


def test_product_line_defaults_refuse_the_anonymous(client):
    product = ProductFactory()

    response = client.get(f"/admin/billing/product/{product.pk}/line-defaults/")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_new_invoice_starts_today_and_due_in_30_days_for_the_customer_given(staff):
    customer = CustomerFactory()
    today = timezone.localdate()

    response = staff.get(f"/admin/billing/invoice/add/?customer={customer.pk}")

    form = response.context["adminform"].form
    assert form["date"].value() == today
    assert form["due_date"].value() == today + datetime.timedelta(days=30)
    assert str(form["customer"].value()) == str(customer.pk)


def test_new_invoice_status_offers_issued_or_draft_only(staff):
    response = staff.get("/admin/billing/invoice/add/")

    choices = [value for value, _ in response.context["adminform"].form.fields["status"].choices]
    assert choices == [InvoiceStatus.UNPAID, InvoiceStatus.DRAFT]


def test_paid_invoice_status_is_not_a_select(staff):
    invoice = make_invoice()
    make_payment(invoice, invoice.total)

    response = staff.get(f"/admin/billing/invoice/{invoice.pk}/change/")

    assert "status" not in response.context["adminform"].form.fields
    assert 'name="status"' not in response.content.decode()


def test_invoice_page_loads_the_live_totals_script(staff):
    html = staff.get("/admin/billing/invoice/add/").content.decode()

    assert "ledgerline/document_lines.js" in html


def test_deleting_a_paid_invoice_shows_the_services_refusal(staff):
    invoice = make_invoice()
    make_payment(invoice, invoice.total)

    page = staff.get(f"/admin/billing/invoice/{invoice.pk}/delete/")
    assert page.status_code == 200
    response = staff.post(f"/admin/billing/invoice/{invoice.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    # The service's own sentence (billing.services.invoice_delete), not a permission error.
    assert len(messages) == 1 and "can be deleted" in messages[0]
    assert Invoice.objects.filter(pk=invoice.pk).exists()
