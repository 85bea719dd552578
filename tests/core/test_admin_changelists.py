"""Every changelist of the admin costs the same number of queries with 5 rows as with 15:
what a row shows is joined or annotated, never fetched per row."""

import datetime
from decimal import Decimal

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from audit.services import audit_record
from tests.billing.factories import ProductFactory, item, make_invoice, make_payment, make_quote
from tests.customers.lead_factories import LeadFactory
from tests.factories import CustomerFactory, UserFactory, make_api_key
from tests.ledger.factories import AccountFactory, CategoryFactory, TransactionFactory
from tests.mail.factories import EmailMessageFactory
from tests.support.factories import DepartmentFactory, TicketFactory
from tests.webhooks.factories import DeliveryFactory
from users.models import Role

pytestmark = pytest.mark.django_db


def add_rows(count: int) -> None:
    """`count` more rows of every kind the admin lists (related rows included)."""
    account = AccountFactory(opening_balance=Decimal("10.00"))
    category = CategoryFactory()
    department = DepartmentFactory()
    for n in range(count):
        customer = CustomerFactory()
        invoice = make_invoice(
            customer=customer,
            items=[item("100.00", product=ProductFactory())],
            date=datetime.date(2024, 1 + n % 12, 10),
        )
        make_payment(invoice, "40.00", account=AccountFactory())
        make_quote(customer=customer)
        LeadFactory()
        TransactionFactory(account=account, category=category)
        TicketFactory(customer=customer, department=department)
        EmailMessageFactory()
        DeliveryFactory()
        make_api_key(user=UserFactory(role=Role.STAFF))
        audit_record(action="customer.updated", resource="customer", resource_id=customer.pk)


def changelists() -> list[str]:
    return [
        reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for model in admin.site._registry
    ]


def test_every_changelist_costs_the_same_for_5_and_15_rows(django_assert_max_num_queries):
    client = Client()
    client.force_login(UserFactory(role=Role.ADMINISTRATOR))
    add_rows(5)
    costs = {}
    for url in changelists():
        with django_assert_max_num_queries(60) as captured:
            assert client.get(url).status_code in (200, 302), url  # books: a one-row screen
        costs[url] = len(captured.captured_queries)

    add_rows(10)

    grown = {}
    for url in changelists():
        with django_assert_max_num_queries(60) as captured:
            client.get(url)
        if len(captured.captured_queries) != costs[url]:
            grown[url] = (costs[url], len(captured.captured_queries))
    assert grown == {}
