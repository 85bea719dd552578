import io

import pytest

from customers import demo as customers_demo
from customers.models import Customer, Lead, LeadStatus
from support import demo
from support.models import Department, Ticket, TicketReply, TicketStatus

pytestmark = pytest.mark.django_db


def load_twice():
    customers_demo.load(size="small", stdout=io.StringIO())
    first = demo.load(size="small", stdout=io.StringIO())
    counts = (
        Department.objects.count(),
        Ticket.objects.count(),
        TicketReply.objects.count(),
        Lead.objects.count(),
        Customer.objects.count(),
    )
    second = demo.load(size="small", stdout=io.StringIO())
    return first, second, counts


def test_demo_is_idempotent():
    first, second, counts = load_twice()

    assert counts == (3, 8, 10, 8, customers_demo.SMALL_COUNT)
    assert (
        Department.objects.count(),
        Ticket.objects.count(),
        TicketReply.objects.count(),
        Lead.objects.count(),
        Customer.objects.count(),
    ) == counts
    assert first.startswith("3 departments, 8 tickets, 10 replies, 8 leads created")
    assert second.startswith("0 departments, 0 tickets, 0 replies, 0 leads created")


def test_demo_tickets_show_every_status_and_real_numbers():
    load_twice()

    statuses = set(Ticket.objects.values_list("status", flat=True))
    assert statuses == {TicketStatus.OPEN, TicketStatus.PENDING, TicketStatus.CLOSED}
    assert all(t.ticket_number == f"TKT-{t.pk:06d}" for t in Ticket.objects.all())
    replied = Ticket.objects.exclude(last_reply_at=None)
    assert all(t.last_reply_at >= t.created_at for t in replied)


def test_demo_has_a_converted_lead_linked_to_its_customer():
    load_twice()

    lead = Lead.objects.get(status=LeadStatus.CONVERTED)
    assert lead.customer.account == "Acme Corp"
    assert set(Lead.objects.values_list("status", flat=True)) == set(LeadStatus.values)


def test_seed_demo_command_loads_support(capsys):
    from django.core.management import call_command

    call_command("seed_demo")

    assert Ticket.objects.count() == 8
    assert "support: 3 departments" in capsys.readouterr().out
