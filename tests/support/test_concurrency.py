"""Races that only a real database with row locks can show (PostgreSQL; skipped on SQLite)."""

import threading

import pytest

from core.errors import ConflictError
from customers import services as customer_services
from customers.models import Customer, Lead
from support import services
from support.models import Department, Ticket, TicketReply
from tests.concurrency import delete_at_once, run_at_once
from tests.customers.lead_factories import LeadFactory
from tests.factories import CustomerFactory
from tests.markers import requires_postgres
from tests.support.factories import DepartmentFactory, TicketFactory

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_tickets_get_distinct_numbers():
    customer = CustomerFactory()
    department = DepartmentFactory()

    results = run_at_once(
        8,
        lambda: services.ticket_create(
            customer=customer, department=department, subject="s", message="m"
        ),
    )

    assert all(isinstance(r, Ticket) for r in results), results
    numbers = list(Ticket.objects.values_list("ticket_number", flat=True))
    assert len(numbers) == len(set(numbers)) == 8
    assert all(t.ticket_number == f"TKT-{t.pk:06d}" for t in Ticket.objects.all())


def test_concurrent_conversions_of_one_lead_convert_it_once():
    lead = LeadFactory()

    results = run_at_once(
        4, lambda: customer_services.lead_convert(lead=Lead.objects.get(pk=lead.pk))
    )

    assert sum(isinstance(r, ConflictError) for r in results) == 3
    assert sum(isinstance(r, customer_services.LeadConversion) for r in results) == 1
    assert Customer.objects.count() == 1


def test_concurrent_conversions_of_leads_sharing_an_email_make_one_customer():
    leads = [LeadFactory(email="shared@example.com") for _ in range(4)]
    queue = list(leads)
    pick = threading.Lock()

    def convert_next():
        with pick:
            lead = queue.pop()
        return customer_services.lead_convert(lead=lead)

    results = run_at_once(4, convert_next)

    assert all(isinstance(r, customer_services.LeadConversion) for r in results), results
    assert Customer.objects.count() == 1
    assert sum(r.customer_created for r in results) == 1
    assert set(Lead.objects.values_list("customer_id", flat=True)) == {Customer.objects.get().pk}


def test_concurrent_replies_all_land_and_the_last_word_decides():
    ticket = TicketFactory()

    run_at_once(
        6,
        lambda: services.ticket_reply_create(
            ticket=Ticket.objects.get(pk=ticket.pk), message="hi", author="staff"
        ),
    )

    ticket.refresh_from_db()
    assert TicketReply.objects.count() == 6
    assert ticket.status == "Pending"
    assert ticket.last_reply_at == TicketReply.objects.order_by("-created_at").first().created_at


def test_concurrent_deletes_of_one_ticket_delete_it_once(api):
    ticket = TicketFactory()

    statuses = delete_at_once(8, api.raw_key, f"/api/v2/tickets/{ticket.pk}")

    assert sorted(statuses) == [200] + [404] * 7
    assert not Ticket.objects.exists()


def test_concurrent_deletes_of_one_department_delete_it_once(api):
    department = DepartmentFactory()

    statuses = delete_at_once(8, api.raw_key, f"/api/v2/departments/{department.pk}")

    assert sorted(statuses) == [200] + [404] * 7
    assert not Department.objects.filter(pk=department.pk).exists()
