"""Every change an integration may mirror announces itself, beyond the contract's minimum."""

import pytest

from tests.billing.factories import make_invoice, make_payment, make_quote
from tests.customers.lead_factories import LeadFactory
from tests.ledger.factories import TransactionFactory
from tests.support.factories import TicketFactory
from webhooks.models import Event

pytestmark = pytest.mark.django_db


def _events(event_type: str) -> list[Event]:
    return list(Event.objects.filter(type=event_type))


def test_quote_update_publishes_quote_updated(api):
    quote = make_quote()

    response = api.patch(f"/api/v2/quotes/{quote.pk}", {"notes": "Revised scope"}, format="json")

    assert response.status_code == 200
    [event] = _events("quote.updated")
    assert event.data["notes"] == "Revised scope"
    assert event.data["quote_number"] == quote.quote_number


def test_payment_void_publishes_payment_voided(api):
    invoice = make_invoice()
    payment = make_payment(invoice, "50.00")

    response = api.post(f"/api/v2/invoices/{invoice.pk}/payments/{payment.pk}/void")

    assert response.status_code == 200
    [event] = _events("payment.voided")
    assert event.data["id"] == payment.pk
    assert event.data["voided_at"] is not None


def test_transaction_update_publishes_transaction_updated(api):
    txn = TransactionFactory(description="Before")

    response = api.patch(f"/api/v2/transactions/{txn.pk}", {"description": "After"}, format="json")

    assert response.status_code == 200
    [event] = _events("transaction.updated")
    assert event.data["description"] == "After"


def test_transaction_delete_publishes_transaction_deleted(api):
    txn = TransactionFactory(description="Going away")

    response = api.delete(f"/api/v2/transactions/{txn.pk}")

    assert response.status_code == 200
    [event] = _events("transaction.deleted")
    assert event.data["id"] == txn.pk
    assert event.data["description"] == "Going away"


def test_ticket_status_change_publishes_ticket_updated(api):
    ticket = TicketFactory()

    response = api.patch(f"/api/v2/tickets/{ticket.pk}", {"status": "Closed"}, format="json")

    assert response.status_code == 200
    [event] = _events("ticket.updated")
    assert event.data["status"] == "Closed"


def test_ticket_patch_without_change_publishes_nothing(api):
    ticket = TicketFactory(priority="High")

    api.patch(f"/api/v2/tickets/{ticket.pk}", {"priority": "High"}, format="json")

    assert _events("ticket.updated") == []


def test_lead_update_publishes_lead_updated(api):
    lead = LeadFactory(status="New")

    response = api.patch(f"/api/v2/leads/{lead.pk}", {"status": "Contacted"}, format="json")

    assert response.status_code == 200
    [event] = _events("lead.updated")
    assert event.data["status"] == "Contacted"
