"""The customers room's webhook payloads (customers/events.py) are the resources exactly as the
API shows them."""

import pytest

from customers.events import customer_payload, lead_payload
from customers.models import Customer, Lead
from tests.customers.lead_factories import LeadFactory
from tests.factories import CustomerFactory
from webhooks.models import Event

pytestmark = pytest.mark.django_db


def test_customer_payload_is_the_api_representation(api):
    customer = CustomerFactory()

    shown = api.get(f"/api/v2/customers/{customer.pk}").json()["data"]

    assert customer_payload(Customer.objects.get(pk=customer.pk)) == shown


def test_lead_payload_is_the_api_representation_after_conversion(api):
    lead = LeadFactory()
    api.post(f"/api/v2/leads/{lead.pk}/convert")

    shown = api.get(f"/api/v2/leads/{lead.pk}").json()["data"]

    assert shown["converted_at"] is not None
    assert lead_payload(Lead.objects.get(pk=lead.pk)) == shown
    assert Event.objects.get(type="lead.converted").data == shown


def test_customer_updated_event_is_the_api_response(api):
    customer = CustomerFactory()

    response = api.patch(f"/api/v2/customers/{customer.pk}", {"city": "Oslo"}, format="json")

    assert Event.objects.get(type="customer.updated").data == response.json()["data"]
