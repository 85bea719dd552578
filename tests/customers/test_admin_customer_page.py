"""A customer's page in the admin shows their invoices, quotes, payments, tickets and what
they owe, with links and a "new invoice" button, in a fixed number of queries."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone

from billing.models import InvoiceStatus
from customers.models import Customer
from tests.billing.factories import item, make_invoice, make_payment, make_quote
from tests.factories import CustomerFactory
from tests.support.factories import TicketFactory
from users.services import user_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff() -> Client:
    client = Client()
    client.force_login(user_create(email="clerk@example.com", name="Clerk", role="staff"))
    return client


def page(client, customer) -> str:
    response = client.get(f"/admin/customers/customer/{customer.pk}/change/")
    assert response.status_code == 200
    return response.content.decode()


def test_shows_invoices_balance_payments_quotes_and_tickets(staff):
    customer = CustomerFactory(account="Northwind Traders")
    today = timezone.localdate()
    late = make_invoice(
        customer=customer,
        items=[item("300.00")],
        date=today - datetime.timedelta(days=45),
        due_date=today - datetime.timedelta(days=15),
    )
    paid = make_invoice(customer=customer, items=[item("50.00")], date=today)
    make_payment(paid, "50.00", date=today)
    make_invoice(customer=customer, items=[item("999.00")], status=InvoiceStatus.DRAFT)
    quote = make_quote(customer=customer)
    ticket = TicketFactory(customer=customer, subject="Wrong address on invoice")

    html = page(staff, customer)

    assert f"/admin/billing/invoice/{late.pk}/change/" in html
    assert f"/admin/billing/invoice/{paid.pk}/change/" in html
    assert 'id="ll-customer-balance">$300.00<' in html  # the draft owes nothing
    assert "overdue" in html
    assert f"/admin/billing/quote/{quote.pk}/change/" in html  # a draft quote has no number yet
    assert ticket.ticket_number in html and "Wrong address on invoice" in html
    assert f"/admin/billing/invoice/add/?customer={customer.pk}" in html


def test_another_customers_documents_are_not_shown(staff):
    customer, other = CustomerFactory(), CustomerFactory()
    theirs = make_invoice(customer=other)

    html = page(staff, customer)

    assert theirs.invoice_number not in html
    assert "No invoices yet." in html


def test_query_count_does_not_grow_with_the_customers_documents(
    staff, django_assert_max_num_queries
):
    customer = CustomerFactory()
    for _ in range(2):
        make_payment(make_invoice(customer=customer), "10.00")
        TicketFactory(customer=customer)
    with django_assert_max_num_queries(40) as few:
        page(staff, customer)
    for _ in range(8):
        make_payment(make_invoice(customer=customer), "10.00")
        make_quote(customer=customer)
        TicketFactory(customer=customer)

    with django_assert_max_num_queries(len(few.captured_queries)):
        page(staff, customer)


def test_delete_page_of_a_customer_with_invoices_shows_the_services_refusal(staff):
    customer = CustomerFactory()
    make_invoice(customer=customer)

    confirm = staff.get(f"/admin/customers/customer/{customer.pk}/delete/")
    assert confirm.status_code == 200
    assert "permission" not in confirm.content.decode().lower()
    response = staff.post(f"/admin/customers/customer/{customer.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert len(messages) == 1 and "invoice" in messages[0].lower()
    assert "permission" not in messages[0].lower()
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_credit_balance_is_shown_in_the_customers_currency(staff):
    customer = CustomerFactory(currency="EUR", credit_balance="25.50")

    html = page(staff, customer)

    assert 'id="ll-customer-credit">€25.50<' in html
