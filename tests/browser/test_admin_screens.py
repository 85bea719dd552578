"""The admin's main screens at 1280×800 with realistic data, in Chromium: nothing wider than
the window, no table scrolling sideways inside its panel, and a full-page screenshot of each
in test-artifacts/browser/ for a person to look at."""

import datetime
from decimal import Decimal

import pytest

pytestmark = [pytest.mark.slow]


@pytest.fixture
def books(transactional_db):
    """A small business's data: customers, products, invoices with several lines (one with a
    long description), payments, an overdue invoice."""
    from billing.services import payment_record, product_create
    from ledger.services import account_create
    from tests.billing.factories import item, make_invoice
    from tests.factories import CustomerFactory

    account = account_create(name="Business Checking", opening_balance=Decimal("5000.00"))
    hosting = product_create(
        name="Managed hosting (annual plan, two sites)",
        price=Decimal("1299.00"),
        description="",
        type="service",
        tax_rate=Decimal("20"),
    )
    customers = [
        CustomerFactory(account=f"Customer {n} Holdings International", email=f"c{n}@ex.test")
        for n in range(12)
    ]
    today = datetime.date.today()  # noqa: DTZ011 - the admin's pages use the local date
    invoices = []
    for n, customer in enumerate(customers):
        invoice = make_invoice(
            customer=customer,
            items=[
                item("1250.00", qty=12, description="Web development and design, March sprint"),
                item("1299.00", product=hosting, tax_rate=20),
                item("35.50", qty=3, description="Domain renewal", tax_rate="7.5"),
            ],
            date=today - datetime.timedelta(days=10 + 9 * n),
            due_date=today - datetime.timedelta(days=n * 5 - 20),
            discount="150.00",
        )
        if n % 3 == 0:
            payment_record(invoice=invoice, amount=Decimal("500.00"), account=account, date=today)
        invoices.append(invoice)
    from billing.services import credit_note_create
    from tests.billing.factories import make_quote

    note = credit_note_create(
        invoice=invoices[1], items=[item("120.00", description="Unused hours")], reason="Refund"
    )
    quote = make_quote(
        customer=customers[2],
        items=[
            item("1250.00", qty=12, description="Web development and design, April sprint"),
            item("1299.00", product=hosting, tax_rate=20),
        ],
    )
    return {"invoices": invoices, "customers": customers, "note": note, "quote": quote}


def test_main_screens_fit_a_1280_window(clerk, staff_user, books):
    from users.models import Role
    from users.services import user_update

    user_update(user=staff_user, role=Role.ADMINISTRATOR)  # sees every panel and history
    page = clerk.page
    invoice = books["invoices"][0]
    clerk.login()

    screens = {
        "50-index": "/admin/",
        "51-dashboard": "/admin/reporting/rollupmonth/dashboard/",
        "52-customers-list": "/admin/customers/customer/",
        "53-customer-page": f"/admin/customers/customer/{books['customers'][0].pk}/change/",
        "54-invoices-list": "/admin/billing/invoice/",
        "58-quote-page": f"/admin/billing/quote/{books['quote'].pk}/change/",
        "59-credit-note-page": f"/admin/billing/creditnote/{books['note'].pk}/change/",
        "59b-credit-notes-list": "/admin/billing/creditnote/",
    }
    for name, path in screens.items():
        clerk.goto(path)
        clerk.shot(name)
        clerk.assert_tables_fit()
    clerk.goto(f"/admin/billing/invoice/{invoice.pk}/change/")
    clerk.shot("55-invoice-issued")
    clerk.assert_tables_fit()
    clerk.goto("/admin/billing/invoice/add/")
    page.click("#items-group .add-row a, #items-group .add-row")
    clerk.shot("56-invoice-add")
    clerk.assert_tables_fit()
    clerk.goto("/admin/customers/customer/import/")
    clerk.shot("57-customer-import")
    clerk.assert_tables_fit()
