"""Concurrent deletes of one customer or lead: one wins (200, one event), the rest find it gone
(404). PostgreSQL only: SQLite has no row locks to race on."""

import pytest

from customers.models import Customer, Lead
from tests.concurrency import delete_at_once
from tests.customers.lead_factories import LeadFactory
from tests.factories import CustomerFactory
from tests.markers import requires_postgres
from webhooks.models import Event

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_deletes_of_one_customer_answer_200_once_with_one_event(api):
    customer = CustomerFactory()

    statuses = delete_at_once(8, api.raw_key, f"/api/v2/customers/{customer.pk}")

    assert sorted(statuses) == [200] + [404] * 7
    assert not Customer.objects.filter(pk=customer.pk).exists()
    assert Event.objects.filter(type="customer.deleted").count() == 1


def test_concurrent_deletes_of_one_lead_answer_200_once(api):
    lead = LeadFactory()

    statuses = delete_at_once(8, api.raw_key, f"/api/v2/leads/{lead.pk}")

    assert sorted(statuses) == [200] + [404] * 7
    assert not Lead.objects.filter(pk=lead.pk).exists()
