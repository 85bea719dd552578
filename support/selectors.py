"""Reads of the support room that need more than a filter."""

from django.db.models import Count, Q, QuerySet

from support.models import Department, Ticket, TicketReply, TicketStatus


def department_list_with_ticket_counts() -> QuerySet[Department]:
    """Departments annotated with `ticket_total` and `ticket_open` (not Closed), in one query."""
    return Department.objects.annotate(
        ticket_total=Count("tickets"),
        ticket_open=Count("tickets", filter=~Q(tickets__status=TicketStatus.CLOSED)),
    )


def ticket_reply_list(*, ticket: Ticket) -> QuerySet[TicketReply]:
    """A ticket's conversation, oldest first."""
    return ticket.replies.order_by("created_at", "id")
