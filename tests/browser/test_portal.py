"""The client portal in a real browser (Chromium through Playwright, against pytest-django's
live server): an invoice's and a quote's page at a laptop's 1280 px and a phone's 390 px,
with no sideways scrolling, a quote accepted through its form, and the PDF downloaded.
Screenshots land in /tmp/portal-shots/ (and test-artifacts/browser/) to be looked at.

Online payment is switched on with a key so the Pay button shows, and `STRIPE_API_BASE`
points at a closed loopback port: nothing here ever reaches Stripe (no test presses Pay;
tests/portal/test_stripe.py does, against a loopback stand-in)."""

import datetime
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from tests.browser.conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS

pytestmark = [pytest.mark.slow]

SHOTS = Path("/tmp/portal-shots")  # noqa: S108 - where the issue asks for them
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


class Customer:
    """A customer's browser: no login, just the link they were sent."""

    def __init__(self, context, base_url: str):
        self.context = context
        self.page = context.new_page()
        self.base_url = base_url.rstrip("/")

    def open(self, path: str, viewport: dict) -> None:
        self.page.set_viewport_size(viewport)
        self.page.goto(self.base_url + path)
        self.assert_fits()

    def assert_fits(self) -> None:
        scroll_width, inner_width = self.page.evaluate(
            "[document.documentElement.scrollWidth, window.innerWidth]"
        )
        assert scroll_width <= inner_width, f"{self.page.url} is {scroll_width} px wide"

    def shot(self, name: str) -> Path:
        self.assert_fits()
        path = SHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        shutil.copy(path, ARTIFACTS / f"portal-{name}.png")
        return path


@pytest.fixture
def customer_browser(admin_server, monkeypatch, settings):
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    from django.db import connections

    settings.STRIPE_SECRET_KEY = "sk_test_browser"  # noqa: S105 - shows the Pay button only
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    settings.COMPANY_NAME = "Acme & Sons Ltd"
    settings.COMPANY_ADDRESS = "1 Ledger Lane\nSpringfield, IL 62701"
    settings.COMPANY_EMAIL = "billing@acme.test"
    settings.COMPANY_PHONE = "+1 555 0100"
    settings.COMPANY_WEBSITE = "https://acme.test"
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    SHOTS.mkdir(parents=True, exist_ok=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=LAPTOP, accept_downloads=True, locale="en-US")
        context.set_default_timeout(15_000)
        yield Customer(context, admin_server.url)
        connections.close_all()
        context.close()
        browser.close()


def _customer():
    from tests.factories import CustomerFactory

    return CustomerFactory(
        account="Northwind Traders International Holdings",
        email="accounts.payable@northwind-traders.example",
        address="1200 Harbour Road, Building 7, Suite 410",
        city="Portland",
        state="OR",
        zip="97201",
        country="US",
    )


def _lines():
    from tests.billing.factories import item

    return [
        item("120.00", qty=10, description="Web development (sprint 14: checkout redesign)"),
        item("99.99", qty=1, description="Hosting (annual)", tax_rate=10),
        item(
            "1500.00",
            qty=2,
            description="Consulting: data migration from the legacy ERP, "
            "including reconciliation reports for every ledger",
        ),
    ]


@pytest.mark.django_db(transaction=True)
def test_invoice_page_fits_laptop_and_phone_and_downloads_its_pdf(customer_browser):
    from billing.services import invoice_create
    from tests.billing.factories import AccountFactory, make_payment

    today = datetime.date.today()  # noqa: DTZ011 - the live server's local date
    invoice = invoice_create(
        customer=_customer(),
        items=_lines(),
        date=today,
        discount=Decimal("50.00"),
        notes="INTERNAL: chase after the 15th",
    )
    make_payment(invoice, "500.00", account=AccountFactory(), date=today)
    path = f"/portal/{invoice.portal_token}"
    page = customer_browser.page

    customer_browser.open(path, LAPTOP)
    assert invoice.invoice_number in page.inner_text(".number")
    assert page.is_visible("#pay")
    assert "INTERNAL" not in page.content()
    customer_browser.shot("invoice-1280")

    customer_browser.open(path, PHONE)
    assert page.is_visible("#download-pdf")
    customer_browser.shot("invoice-390")

    with page.expect_download() as download_info:
        page.click("#download-pdf")
    download = download_info.value
    assert download.suggested_filename == f"{invoice.invoice_number}.pdf"
    saved = SHOTS / download.suggested_filename
    download.save_as(str(saved))
    assert saved.read_bytes().startswith(b"%PDF-")

    # A credit note against it has its own page; the invoice now shows what was credited.
    from billing.services import credit_note_create
    from tests.billing.factories import item

    note = credit_note_create(
        invoice=invoice,
        items=[item("120.00", description="Web development: one day not delivered")],
        reason="One development day was cancelled by us.",
        date=today,
    )
    customer_browser.open(f"/portal/{note.portal_token}", PHONE)
    assert note.credit_note_number in page.inner_text(".number")
    customer_browser.shot("credit-note-390")
    customer_browser.open(f"/portal/{note.portal_token}", LAPTOP)
    customer_browser.shot("credit-note-1280")
    customer_browser.open(path, LAPTOP)
    assert "Credited" in page.inner_text(".totals")


@pytest.mark.django_db(transaction=True)
def test_quote_page_fits_and_is_accepted_through_its_form(customer_browser):
    from billing.models import Quote, QuoteStatus
    from billing.services import quote_create

    today = datetime.date.today()  # noqa: DTZ011
    quote = quote_create(customer=_customer(), items=_lines(), date=today, status="Sent")
    path = f"/portal/{quote.portal_token}"
    page = customer_browser.page

    customer_browser.open(path, LAPTOP)
    assert page.is_visible("#accept-form")
    customer_browser.shot("quote-1280")

    customer_browser.open(path, PHONE)
    customer_browser.shot("quote-390")
    page.fill("#signer-name", "Ada Lovelace")
    customer_browser.shot("quote-390-filled")
    page.click("#accept")
    page.wait_for_selector("#quote-state .notice")
    assert "Accepted by Ada Lovelace" in page.inner_text("#quote-state")
    assert not page.is_visible("#accept-form")
    customer_browser.shot("quote-390-accepted")

    quote = Quote.objects.get(pk=quote.pk)
    assert (quote.status, quote.accepted_by) == (QuoteStatus.ACCEPTED, "Ada Lovelace")
    assert quote.accepted_ip == "127.0.0.1"

    customer_browser.open(path, LAPTOP)
    customer_browser.shot("quote-1280-accepted")


@pytest.mark.django_db(transaction=True)
def test_clerk_copies_opens_and_replaces_the_portal_link(clerk):
    from billing.models import Invoice
    from tests.billing.factories import make_invoice

    invoice = make_invoice()
    old_token = invoice.portal_token
    page = clerk.page
    clerk.login()

    clerk.goto(f"/admin/billing/invoice/{invoice.pk}/change/")
    assert old_token in page.get_attribute("#ll-portal-open", "href")
    assert old_token in page.get_attribute("#ll-portal-copy", "data-url")
    clerk.shot("50-invoice-portal-link")
    shutil.copy(ARTIFACTS / "50-invoice-portal-link.png", SHOTS / "admin-invoice-portal-link.png")

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#ll-portal-rotate")
    page.wait_for_selector("ul.messagelist li.success")
    assert "new portal link" in clerk.success_message()

    new_token = Invoice.objects.get(pk=invoice.pk).portal_token
    assert new_token != old_token
    assert new_token in page.get_attribute("#ll-portal-open", "href")
