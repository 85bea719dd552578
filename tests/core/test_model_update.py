"""core.services.model_update: writes only the fields that changed, with update_fields."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.services import model_update
from support.models import Ticket
from tests.factories import CustomerFactory, UserFactory
from tests.support.factories import TicketFactory

pytestmark = pytest.mark.django_db


def test_saves_only_the_changed_fields_and_the_auto_now_column():
    customer = CustomerFactory(account="Old", city="Oslo")
    stamp = customer.updated_at

    with CaptureQueriesContext(connection) as queries:
        _, changed = model_update(
            instance=customer,
            fields=["account", "city"],
            data={"account": "New", "city": "Oslo"},
        )

    assert changed == ["account"]
    [update] = [q["sql"] for q in queries.captured_queries]
    assert update.startswith('UPDATE "customers_customer" SET "account" = ')
    assert '"updated_at"' in update and '"city"' not in update
    customer.refresh_from_db()
    assert (customer.account, customer.city) == ("New", "Oslo")
    assert customer.updated_at > stamp


def test_nothing_changed_means_no_query():
    customer = CustomerFactory(account="Same")

    with CaptureQueriesContext(connection) as queries:
        _, changed = model_update(instance=customer, fields=["account"], data={"account": "Same"})

    assert (changed, queries.captured_queries) == ([], [])


def test_keys_outside_fields_are_ignored():
    customer = CustomerFactory(account="Kept", email="kept@example.com")

    _, changed = model_update(
        instance=customer, fields=["account"], data={"email": "other@example.com"}
    )

    customer.refresh_from_db()
    assert (changed, customer.email) == ([], "kept@example.com")


def test_foreign_keys_compare_by_id_and_may_be_cleared():
    agent = UserFactory()
    ticket = Ticket.objects.get(pk=TicketFactory(assigned_to=agent).pk)

    with CaptureQueriesContext(connection) as queries:
        _, same = model_update(instance=ticket, fields=["assigned_to"], data={"assigned_to": agent})
    _, cleared = model_update(instance=ticket, fields=["assigned_to"], data={"assigned_to": None})

    assert (same, queries.captured_queries) == ([], [])
    assert cleared == ["assigned_to"]
    assert Ticket.objects.get(pk=ticket.pk).assigned_to_id is None
