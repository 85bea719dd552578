"""The support room's webhook payloads (support/events.py) are the resources exactly as the API
shows them."""

import pytest

from support.events import ticket_payload
from support.models import Ticket
from tests.factories import UserFactory
from tests.support.factories import TicketFactory
from webhooks.models import Event

pytestmark = pytest.mark.django_db


def test_ticket_payload_is_the_api_representation(api):
    ticket = TicketFactory(assigned_to=UserFactory(), status="Closed")

    shown = api.get(f"/api/v2/tickets/{ticket.pk}").json()["data"]

    assert ticket_payload(Ticket.objects.get(pk=ticket.pk)) == shown


def test_ticket_replied_payload_is_the_reply_and_the_ticket_as_the_api_shows_them(api):
    ticket = TicketFactory()

    reply = api.post(f"/api/v2/tickets/{ticket.pk}/replies", {"message": "On it"}, format="json")

    event = Event.objects.get(type="ticket.replied")
    shown = api.get(f"/api/v2/tickets/{ticket.pk}").json()["data"]
    assert event.data == {**reply.json()["data"], "ticket": shown}
