"""`AuditHistoryMixin`: the history panel a room's change page shows."""

import pytest
from django.contrib import admin

from audit.admin import AuditHistoryMixin
from audit.services import audit_record
from core.actor import Actor, acting_as
from customers.models import Customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


class CustomerHistory(AuditHistoryMixin, admin.ModelAdmin):
    audit_resource = "customer"


def panel(customer) -> str:
    return str(CustomerHistory(Customer, admin.site).audit_history(customer))


def test_panel_lists_the_entries_of_that_record_only(django_assert_num_queries):
    customer, other = CustomerFactory(), CustomerFactory()
    with acting_as(Actor.system("command:import")):
        audit_record(
            action="customer.updated",
            resource="customer",
            resource_id=customer.pk,
            changes={"city": ["Oslo", "Bergen"]},
        )
        audit_record(action="customer.deleted", resource="customer", resource_id=other.pk)

    with django_assert_num_queries(1):
        html = panel(customer)

    assert "customer.updated" in html and "command:import" in html and "city" in html
    assert "customer.deleted" not in html
    assert f"?resource=customer&amp;resource_id={customer.pk}" in html


def test_panel_without_entries():
    assert panel(CustomerFactory()) == "No recorded changes."
