"""A staff member's day in the admin, in a real browser: each test is one errand a clerk runs
from the login page, with a screenshot of every step in test-artifacts/browser/."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.browser.conftest import ARTIFACTS

pytestmark = [pytest.mark.slow]


def test_clerk_creates_customer_invoices_records_payment_and_downloads_pdf(clerk):
    from billing.models import Invoice, InvoiceStatus
    from billing.services import product_create
    from customers.models import Customer
    from ledger.services import account_create

    account_create(name="Business Checking", opening_balance=Decimal("1000.00"))
    product_create(
        name="Hosting (annual)",
        price=Decimal("99.99"),
        description="",
        type="service",
        tax_rate=Decimal("0"),
    )
    page = clerk.page
    today = date.today()  # noqa: DTZ011 - the admin's own date widgets use the local date

    # Log in: the admin index greets the clerk.
    clerk.login()
    clerk.shot("02-admin-index")

    # A new customer.
    clerk.goto("/admin/customers/customer/add/")
    page.fill("#id_account", "Northwind Traders")
    page.fill("#id_email", "Billing@Northwind.example")
    page.fill("#id_phone", "555-0100")
    page.fill("#id_address", "1 Harbour Road")
    page.fill("#id_city", "Portland")
    page.fill("#id_state", "OR")
    page.fill("#id_zip", "97201")
    page.fill("#id_country", "US")
    clerk.shot("03-customer-form")
    page.click("[name=_save]")
    assert "Northwind Traders" in clerk.success_message()
    clerk.shot("04-customer-created")
    customer = Customer.objects.get()
    assert (customer.account, customer.email) == ("Northwind Traders", "billing@northwind.example")

    # An invoice with two items: 10 × 120.00 typed in, then a product picked for the second
    # line (1 × 99.99); the totals follow each change before anything is saved.
    clerk.goto("/admin/billing/invoice/add/")
    assert page.input_value("#id_date") == today.isoformat()
    assert page.input_value("#id_due_date") == (today + timedelta(days=30)).isoformat()
    clerk.pick_autocomplete("id_customer", "Northwind", "Northwind Traders")
    page.fill("#id_items-0-description", "Web development")
    page.fill("#id_items-0-qty", "10")
    page.fill("#id_items-0-amount", "120.00")
    page.wait_for_function("document.querySelector('#ll-live-total').textContent === '$1,200.00'")
    clerk.shot("05a-invoice-first-line")
    clerk.pick_autocomplete("id_items-1-product", "Hosting", "Hosting (annual)")
    page.wait_for_function("document.querySelector('#ll-live-total').textContent === '$1,299.99'")
    assert page.input_value("#id_items-1-description") == "Hosting (annual)"
    assert page.input_value("#id_items-1-amount") == "99.99"
    assert page.inner_text("#ll-live-subtotal") == "$1,299.99"
    clerk.shot("05-invoice-form")
    page.click("[name=_continue]")
    assert "was added successfully" in clerk.success_message()
    clerk.shot("06-invoice-created")
    invoice = Invoice.objects.get()
    assert invoice.invoice_number == f"INV-{today.year}-001"
    assert (invoice.total, invoice.status) == (Decimal("1299.99"), InvoiceStatus.UNPAID)
    assert invoice.items.count() == 2

    # Its PDF, from the button on its own page.
    with page.expect_download() as download_info:
        page.click(f"a[href$='/admin/billing/invoice/{invoice.pk}/pdf/']")
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    pdf_path = ARTIFACTS / "06b-invoice-from-page.pdf"
    download.save_as(str(pdf_path))
    assert pdf_path.read_bytes().startswith(b"%PDF-")

    # A payment for the whole balance, recorded on the invoice's page.
    page.click("#payments-group .add-row")
    page.fill("#id_payments-0-amount", "1299.99")
    page.fill("#id_payments-0-date", today.isoformat())
    page.select_option("#id_payments-0-account", label="Business Checking (USD)")
    clerk.shot("07-payment-form")
    page.click("[name=_continue]")
    assert "was changed successfully" in clerk.success_message()
    clerk.shot("08-invoice-paid")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.amount_paid, invoice.balance_due) == (
        InvoiceStatus.PAID,
        Decimal("1299.99"),
        Decimal("0.00"),
    )

    # The invoice list shows it Paid; its PDF downloads from there.
    clerk.goto("/admin/billing/invoice/")
    row = page.locator("#result_list tbody tr", has_text=invoice.invoice_number)
    assert "Paid" in row.inner_text()
    clerk.shot("09-invoice-list-paid")
    with page.expect_download() as download_info:
        clerk.run_action("download_pdfs", invoice.pk)
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    pdf_path = ARTIFACTS / "10-invoice.pdf"
    download.save_as(str(pdf_path))
    assert pdf_path.read_bytes().startswith(b"%PDF-")

    # The customer's page lists the invoice, what is owed, and a "new invoice" button.
    clerk.goto(f"/admin/customers/customer/{customer.pk}/change/")
    assert invoice.invoice_number in page.inner_text("#ll-customer-invoices")
    assert page.inner_text("#ll-customer-balance") == "$0.00"
    assert f"?customer={customer.pk}" in page.get_attribute("#ll-new-invoice", "href")
    clerk.shot("10b-customer-page")

    # The index shows today's figures; the dashboard, from its link, counts the payment.
    clerk.goto("/admin/")
    assert "$1,299.99" in page.inner_text("#ll-recent-payments")
    clerk.shot("11a-index-dashboard")
    page.click("#ll-dashboard-link a")
    page.wait_for_selector("#ll-income")
    assert page.inner_text("#ll-income") == "$1,299.99"
    clerk.shot("11-dashboard")


def test_clerk_answers_and_closes_a_ticket(clerk):
    from support.models import Ticket, TicketStatus
    from support.services import department_create, ticket_create
    from tests.factories import CustomerFactory

    customer = CustomerFactory(account="Contoso Ltd")
    department = department_create(name="Billing support")
    ticket = ticket_create(
        customer=customer,
        department=department,
        subject="Invoice shows the wrong address",
        message="Our new address is 9 Elm Street. Can you update the invoice?",
        priority="High",
    )
    page = clerk.page
    clerk.login()

    clerk.goto("/admin/support/ticket/")
    clerk.shot("20-ticket-list")
    page.click(f"#result_list a:has-text('{ticket.ticket_number}')")
    page.fill("#id_replies-0-message", "Done: the address is updated and a new PDF is attached.")
    clerk.shot("21-ticket-reply-form")
    page.click("[name=_continue]")
    assert "was changed successfully" in clerk.success_message()
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.PENDING
    assert list(ticket.replies.values_list("message", "author")) == [
        ("Done: the address is updated and a new PDF is attached.", "staff")
    ]
    clerk.shot("22-ticket-answered")

    page.select_option("#id_status", "Closed")
    page.click("[name=_save]")
    assert "was changed successfully" in clerk.success_message()
    clerk.shot("23-ticket-closed")
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.status == TicketStatus.CLOSED
    assert ticket.closed_at is not None


def test_clerk_converts_a_lead_into_a_customer(clerk):
    from customers.models import Customer, LeadStatus
    from customers.services import lead_create

    lead = lead_create(
        first_name="Ada",
        last_name="Lovelace",
        email="ada@analytical.example",
        company="Analytical Engines",
        source="Website",
    )
    clerk.login()

    clerk.goto("/admin/customers/lead/")
    clerk.shot("30-lead-list")
    clerk.run_action("convert_to_customer", lead.pk)
    assert "Converted 1 lead(s): 1 new customer(s)" in clerk.success_message()
    clerk.shot("31-lead-converted")
    lead.refresh_from_db()
    customer = Customer.objects.get(email="ada@analytical.example")
    assert (lead.status, lead.customer_id) == (LeadStatus.CONVERTED, customer.pk)


def test_every_changelist_fits_a_1280_window(clerk, staff_user):
    """An administrator (who sees every screen) opens each list: none is wider than the
    window, the API keys list included."""
    from django.contrib import admin
    from django.urls import reverse

    from tests.factories import make_api_key
    from users.models import Role
    from users.services import user_update

    user_update(user=staff_user, role=Role.ADMINISTRATOR)
    make_api_key(user=staff_user, name="Accounting sync (production)")
    clerk.login()
    for model in admin.site._registry:
        opts = model._meta
        clerk.goto(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    clerk.goto(reverse("admin:users_apikey_changelist"))
    clerk.shot("40-api-keys-list")


def test_clerk_imports_fifty_customers_fixing_two_bad_rows(clerk, tmp_path):
    """The spreadsheet move-in, as a clerk does it: upload a CSV of 50 customers with two bad
    rows, read both problems in the preview (nothing written), fix the file, upload it again
    and confirm: all 50 are there."""
    from customers.models import Customer

    rows = [[f"Customer {i}", f"c{i}@example.com", "NZ"] for i in range(50)]
    rows[7][1] = "not-an-email"
    rows[31][0] = ""

    def csv_file(name: str) -> str:
        path = tmp_path / name
        lines = ["account,email,country"] + [",".join(row) for row in rows]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return str(path)

    page = clerk.page
    clerk.login()

    def upload(path: str) -> None:
        clerk.goto("/admin/customers/customer/")
        page.click("a[href$='/admin/customers/customer/import/']")
        page.wait_for_selector("input[type=file][name=import_file]")
        clerk.assert_fits()
        page.set_input_files("input[type=file][name=import_file]", path)
        page.select_option("select[name=format]", label="csv")
        page.click("form[enctype='multipart/form-data'] [type=submit]")
        page.wait_for_load_state()

    upload(csv_file("customers-with-errors.csv"))
    clerk.shot("60-import-preview-errors")
    preview = page.inner_text("body")
    assert "Invalid email format" in preview
    assert "This field is required." in preview
    # Both rows named as the spreadsheet numbers them (header = row 1).
    # Each bad row by its spreadsheet number (the header is row 1), beside its values.
    assert page.inner_text("tr:has-text('not-an-email')").split()[0] == "9"
    assert page.inner_text("tr:has-text('c31@example.com')").split()[0] == "33"
    assert page.locator("button:has-text('Confirm import')").count() == 0
    assert Customer.objects.count() == 0

    rows[7][1] = "c7@example.com"
    rows[31][0] = "Customer 31"
    upload(csv_file("customers-fixed.csv"))
    clerk.shot("61-import-preview-clean")
    assert Customer.objects.count() == 0  # a clean preview writes nothing either
    page.click("button:has-text('Confirm import')")
    page.wait_for_url(lambda url: url.rstrip("/").endswith("/admin/customers/customer"))
    clerk.shot("62-import-done")
    assert Customer.objects.count() == 50
    assert Customer.objects.get(email="c31@example.com").account == "Customer 31"
