"""Money shown with its own currency (contract section 13): Babel's symbol, separators and
decimals in the PDFs, the emails and the admin."""

import datetime
from decimal import Decimal

import pytest

from billing import services
from core.errors import DomainValidationError
from core.money_format import format_amount, format_money, format_money_latin1
from ledger.models import ExchangeRate
from mail.models import EmailMessage
from tests.billing.factories import AccountFactory, item, make_invoice
from tests.billing.test_pdf import pdf_text
from tests.factories import CustomerFactory, UserFactory
from users.models import Role

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(role=Role.ADMINISTRATOR))
    return client


@pytest.fixture
def chf_invoice():
    ExchangeRate.objects.create(currency="CHF", date=datetime.date(2024, 1, 1), rate="1.12")
    return make_invoice(
        customer=CustomerFactory(account="Zurich AG", currency="CHF"),
        items=[item("1800.00", qty=2, tax_rate="8.1")],
        date=datetime.date(2024, 1, 15),
    )


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [
        ("1234.5", "USD", "$1,234.50"),
        ("1234.5", "EUR", "€1,234.50"),
        ("1234.5", "CHF", f"CHF{NBSP}1,234.50"),
        ("1234", "JPY", "¥1,234"),
        ("-5", "CHF", f"-CHF{NBSP}5.00"),
    ],
)
def test_amounts_carry_their_currencys_symbol_and_decimals(amount, currency, shown):
    assert format_money(Decimal(amount), currency) == shown


def test_a_pdf_spells_out_a_symbol_its_font_cannot_draw():
    assert format_money_latin1(Decimal("10"), "INR") == f"INR{NBSP}10.00"
    assert format_money_latin1(Decimal("10"), "EUR") == "€10.00"


def test_table_cells_show_the_number_in_the_currencys_decimals():
    assert (format_amount(Decimal("1800"), "CHF"), format_amount(Decimal("1800"), "JPY")) == (
        "1,800.00",
        "1,800",
    )


def test_the_pdf_of_a_chf_invoice_shows_chf_amounts(api, chf_invoice):
    text = pdf_text(api.get(f"/api/v2/invoices/{chf_invoice.pk}/pdf").content)

    assert "Amounts in CHF" in text
    assert "Balance due CHF 3,891.60" in text.replace("\xa0", " ")
    assert "$" not in text


@pytest.mark.usefixtures("mail_settings")
def test_the_invoice_email_gives_the_amount_in_the_invoices_currency(api, chf_invoice):
    response = api.post(f"/api/v2/invoices/{chf_invoice.pk}/send", {}, format="json")

    assert response.status_code == 202, response.json()
    assert f"for CHF{NBSP}3,891.60 is attached" in EmailMessage.objects.get().body_text


def test_the_admin_lists_each_invoice_in_its_currency(admin_client, chf_invoice):
    make_invoice(items=[item("10.00")])

    html = admin_client.get("/admin/billing/invoice/").content.decode()

    assert f"CHF{NBSP}3,891.60" in html
    assert "$10.00" in html


def test_the_service_refuses_a_payment_into_an_account_of_another_currency(chf_invoice):
    usd = AccountFactory(currency="USD")

    with pytest.raises(DomainValidationError) as refused:
        services.payment_record(invoice=chf_invoice, amount=Decimal("5"), account=usd)

    assert "CHF" in refused.value.errors["account_id"]
