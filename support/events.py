"""Webhook payloads of the support room, in one place: each resource as the API shows it (the
same fields and formats as support/serializers.py; tests/support/test_events.py holds the two
together), built without a serializer so services stay free of the HTTP layer."""

from rest_framework.fields import DateTimeField

from support.models import Ticket, TicketReply

# The API's own datetime format (REST_FRAMEWORK["DATETIME_FORMAT"]), None for None.
_when = DateTimeField().to_representation


def ticket_payload(ticket: Ticket) -> dict:
    return {
        "id": ticket.pk,
        "ticket_number": ticket.ticket_number,
        "customer_id": ticket.customer_id,
        "subject": ticket.subject,
        "message": ticket.message,
        "department_id": ticket.department_id,
        "priority": ticket.priority,
        "status": ticket.status,
        "assigned_to": ticket.assigned_to_id,
        "created_at": _when(ticket.created_at),
        "updated_at": _when(ticket.updated_at),
        "last_reply_at": _when(ticket.last_reply_at),
        "closed_at": _when(ticket.closed_at),
    }


def reply_payload(reply: TicketReply, ticket: Ticket) -> dict:
    """`ticket.replied`: the reply, with the ticket as the reply left it."""
    return {
        "id": reply.pk,
        "ticket_id": reply.ticket_id,
        "message": reply.message,
        "author": reply.author,
        "created_by": reply.created_by_id,
        "created_at": _when(reply.created_at),
        "ticket": ticket_payload(ticket),
    }
