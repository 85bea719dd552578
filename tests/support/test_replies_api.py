import pytest
from django.utils import timezone

from support import services
from support.models import Ticket, TicketReply, TicketStatus
from tests.support.factories import TicketFactory
from webhooks.models import Event

pytestmark = pytest.mark.django_db


def reply(api, ticket, **body):
    return api.post(
        f"/api/v2/tickets/{ticket.pk}/replies", {"message": "Hello", **body}, format="json"
    )


def status_of(ticket) -> str:
    return Ticket.objects.get(pk=ticket.pk).status


def test_reply_returns_201_with_the_reply(api):
    ticket = TicketFactory()

    response = reply(api, ticket, message="We are on it.")

    data = response.json()["data"]
    assert response.status_code == 201
    assert data["ticket_id"] == ticket.pk
    assert data["message"] == "We are on it."
    assert data["author"] == "staff"
    assert data["created_by"] == api.user.pk
    assert set(data) == {"id", "ticket_id", "message", "author", "created_by", "created_at"}


def test_staff_reply_moves_open_to_pending(api):
    ticket = TicketFactory(status=TicketStatus.OPEN)

    reply(api, ticket, author="staff")

    assert status_of(ticket) == "Pending"


def test_author_defaults_to_staff(api):
    ticket = TicketFactory(status=TicketStatus.OPEN)

    reply(api, ticket)

    assert TicketReply.objects.get().author == "staff"
    assert status_of(ticket) == "Pending"


def test_staff_reply_keeps_pending(api):
    ticket = TicketFactory(status=TicketStatus.PENDING)

    reply(api, ticket, author="staff")

    assert status_of(ticket) == "Pending"


def test_staff_reply_does_not_reopen_a_closed_ticket(api):
    ticket = TicketFactory(status=TicketStatus.CLOSED, closed_at=timezone.now())

    reply(api, ticket, author="staff")

    assert status_of(ticket) == "Closed"


def test_customer_reply_moves_pending_to_open(api):
    ticket = TicketFactory(status=TicketStatus.PENDING)

    reply(api, ticket, author="customer")

    assert status_of(ticket) == "Open"


def test_customer_reply_reopens_a_closed_ticket(api):
    ticket = TicketFactory(status=TicketStatus.CLOSED, closed_at=timezone.now())

    reply(api, ticket, author="customer")

    ticket.refresh_from_db()
    assert (ticket.status, ticket.closed_at) == ("Open", None)


def test_customer_reply_keeps_open(api):
    ticket = TicketFactory(status=TicketStatus.OPEN)

    reply(api, ticket, author="customer")

    assert status_of(ticket) == "Open"


def test_reply_sets_last_reply_at(api):
    ticket = TicketFactory()

    response = reply(api, ticket)

    ticket.refresh_from_db()
    created_at = response.json()["data"]["created_at"]
    assert ticket.last_reply_at.strftime("%Y-%m-%dT%H:%M:%SZ") == created_at
    shown = api.get(f"/api/v2/tickets/{ticket.pk}").json()["data"]
    assert shown["last_reply_at"] == created_at


def test_status_moves_show_in_the_ticket(api):
    ticket = TicketFactory()

    reply(api, ticket, author="staff")
    after_staff = api.get(f"/api/v2/tickets/{ticket.pk}").json()["data"]["status"]
    reply(api, ticket, author="customer")
    after_customer = api.get(f"/api/v2/tickets/{ticket.pk}").json()["data"]["status"]

    assert (after_staff, after_customer) == ("Pending", "Open")


def test_list_replies_oldest_first(api):
    ticket = TicketFactory()
    other = TicketFactory()
    reply(api, ticket, message="first")
    reply(api, other, message="elsewhere")
    reply(api, ticket, message="second", author="customer")
    reply(api, ticket, message="third")

    response = api.get(f"/api/v2/tickets/{ticket.pk}/replies")

    body = response.json()
    assert response.status_code == 200
    assert [r["message"] for r in body["data"]] == ["first", "second", "third"]
    assert [r["author"] for r in body["data"]] == ["staff", "customer", "staff"]
    assert body["meta"] == {"current_page": 1, "total_pages": 1, "total_records": 3}


def test_replies_list_is_paginated(api):
    ticket = TicketFactory()
    for n in range(3):
        reply(api, ticket, message=f"r{n}")

    body = api.get(f"/api/v2/tickets/{ticket.pk}/replies?limit=2&page=2").json()

    assert [r["message"] for r in body["data"]] == ["r2"]
    assert body["meta"] == {"current_page": 2, "total_pages": 2, "total_records": 3}


def test_reply_publishes_ticket_replied_with_the_ticket(api):
    ticket = TicketFactory()

    response = reply(api, ticket, message="On it")

    event = Event.objects.get(type="ticket.replied")
    assert event.data["id"] == response.json()["data"]["id"]
    assert event.data["message"] == "On it"
    assert event.data["ticket"]["status"] == "Pending"
    assert event.data["ticket"]["ticket_number"] == ticket.ticket_number


def test_invalid_author_is_refused(api):
    ticket = TicketFactory()

    response = reply(api, ticket, author="robot")

    assert response.status_code == 400
    assert response.json()["errors"] == {"author": "Must be one of: staff, customer."}
    assert TicketReply.objects.count() == 0
    assert status_of(ticket) == "Open"


def test_blank_message_is_refused(api):
    ticket = TicketFactory()

    response = reply(api, ticket, message="")

    assert response.status_code == 400
    assert response.json()["errors"] == {"message": "This field may not be blank."}
    assert TicketReply.objects.count() == 0


def test_reply_to_unknown_ticket_is_404(api):
    response = api.post("/api/v2/tickets/999/replies", {"message": "hi"}, format="json")

    assert response.status_code == 404
    assert TicketReply.objects.count() == 0


def test_replies_of_unknown_ticket_is_404(api):
    assert api.get("/api/v2/tickets/999/replies").status_code == 404


def test_viewer_may_read_replies_but_not_reply(client_for):
    ticket = TicketFactory()
    viewer = client_for("viewer")

    assert viewer.get(f"/api/v2/tickets/{ticket.pk}/replies").status_code == 200
    assert reply(viewer, ticket).status_code == 403
    assert TicketReply.objects.count() == 0


def test_reply_and_its_event_commit_together(api, monkeypatch):
    # The outbox promise: if the event cannot be written, the reply and the status move are
    # rolled back with it.
    ticket = TicketFactory()

    def broken_publish(**kwargs):
        raise RuntimeError("outbox down")

    monkeypatch.setattr(services, "event_publish", broken_publish)

    with pytest.raises(RuntimeError):
        services.ticket_reply_create(ticket=ticket, message="hi")

    assert TicketReply.objects.count() == 0
    ticket.refresh_from_db()
    assert (ticket.status, ticket.last_reply_at) == ("Open", None)


def test_ticket_and_its_event_commit_together(monkeypatch):
    ticket = TicketFactory.build()
    ticket.customer.save()
    ticket.department.save()

    def broken_publish(**kwargs):
        raise RuntimeError("outbox down")

    monkeypatch.setattr(services, "event_publish", broken_publish)

    with pytest.raises(RuntimeError):
        services.ticket_create(
            customer=ticket.customer, department=ticket.department, subject="s", message="m"
        )

    assert Ticket.objects.count() == 0
