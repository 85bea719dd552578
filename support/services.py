"""Writes for the support desk. Every function is atomic, raises a domain error on input it
refuses, and writes its webhook event in the same transaction as the change (the outbox)."""

from typing import Any

from django.db import IntegrityError
from django.utils import timezone

from core.db import atomic
from core.errors import ConflictError, DomainValidationError
from support.models import (
    TICKET_NUMBER_PREFIX,
    Department,
    ReplyAuthor,
    Ticket,
    TicketReply,
    TicketStatus,
)
from webhooks.services import event_publish

DEPARTMENT_FIELDS = ("name", "email")
TICKET_FIELDS = (
    "customer",
    "department",
    "subject",
    "message",
    "priority",
    "status",
    "assigned_to",
)
DEPARTMENT_NAME_TAKEN = "A department with this name already exists."
NEW_TICKET_IS_OPEN = "New tickets are always Open."


# --- Departments ------------------------------------------------------------------------------


def _department_name_taken(name: str, exclude_pk: int | None = None) -> bool:
    query = Department.objects.filter(name__iexact=name)
    if exclude_pk is not None:
        query = query.exclude(pk=exclude_pk)
    return query.exists()


def _department_fields(data: dict) -> dict:
    fields = {k: v for k, v in data.items() if k in DEPARTMENT_FIELDS}
    if "name" in fields:
        fields["name"] = fields["name"].strip()
    if fields.get("email"):
        fields["email"] = fields["email"].strip().lower()
    return fields


def department_create(*, data: dict) -> Department:
    """Creates a department whose name no other department has (ignoring case)."""
    fields = _department_fields(data)
    try:
        with atomic():
            if _department_name_taken(fields["name"]):
                raise DomainValidationError({"name": DEPARTMENT_NAME_TAKEN})
            return Department.objects.create(**fields)
    except IntegrityError:
        # A concurrent create took the name between the check and the insert.
        raise DomainValidationError({"name": DEPARTMENT_NAME_TAKEN}) from None


def department_update(*, department: Department, data: dict) -> Department:
    fields = _department_fields(data)
    try:
        with atomic():
            if "name" in fields and _department_name_taken(fields["name"], department.pk):
                raise DomainValidationError({"name": DEPARTMENT_NAME_TAKEN})
            for name, value in fields.items():
                setattr(department, name, value)
            department.save()
    except IntegrityError:
        raise DomainValidationError({"name": DEPARTMENT_NAME_TAKEN}) from None
    return department


def department_delete(*, department: Department) -> None:
    """Deletes a department that has never had a ticket; one with tickets is a conflict (409),
    since the tickets' history must keep the department they were handled by."""
    with atomic():
        count = Ticket.objects.filter(department=department).count()
        if count:
            raise ConflictError(
                f"This department has {count} ticket(s); move them to another department "
                "before deleting it."
            )
        department.delete()


# --- Tickets ----------------------------------------------------------------------------------


def ticket_payload(ticket: Ticket) -> dict:
    from support.serializers import TicketSerializer

    return TicketSerializer(ticket).data


def format_ticket_number(pk: int) -> str:
    return f"{TICKET_NUMBER_PREFIX}{pk:06d}"


def _apply_status(ticket: Ticket, status: str, now) -> None:
    """Moves `ticket` to `status`, keeping `closed_at` true to it (set on closing, cleared
    on reopening)."""
    if status == ticket.status:
        return
    ticket.status = status
    ticket.closed_at = now if status == TicketStatus.CLOSED else None


def ticket_create(*, data: dict[str, Any]) -> Ticket:
    """Opens a ticket (always `Open`) with a unique `TKT-NNNNNN` number and announces
    `ticket.created`.

    The number comes from the row's primary key, assigned by the database sequence, so two
    concurrent creations can never get the same number and no lock is needed.
    """
    fields = {k: v for k, v in data.items() if k in TICKET_FIELDS}
    status = fields.pop("status", TicketStatus.OPEN)
    if status != TicketStatus.OPEN:
        raise DomainValidationError({"status": NEW_TICKET_IS_OPEN})
    with atomic():
        ticket = Ticket.objects.create(status=TicketStatus.OPEN, **fields)
        ticket.ticket_number = format_ticket_number(ticket.pk)
        ticket.save(update_fields=["ticket_number"])
        event_publish(event_type="ticket.created", data=ticket_payload(ticket))
    return ticket


def ticket_update(*, ticket: Ticket, data: dict[str, Any]) -> Ticket:
    """Changes a ticket's fields; closing and reopening are a change of `status`.

    Only the given fields are written, on a row locked for the transaction, so an edit never
    undoes a reply's status move that committed in between.
    """
    fields = {k: v for k, v in data.items() if k in TICKET_FIELDS}
    with atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        now = timezone.now()
        changed: list[str] = []
        if "status" in fields:
            status = fields.pop("status")
            if status != locked.status:
                _apply_status(locked, status, now)
                changed += ["status", "closed_at"]
        for name, value in fields.items():
            field = Ticket._meta.get_field(name)
            # Compare foreign keys by id: reading `locked.customer` would cost a query.
            new = value.pk if field.is_relation and value is not None else value
            if getattr(locked, field.attname) != new:
                setattr(locked, name, value)
                changed.append(name)
        if changed:
            locked.save(update_fields=[*changed, "updated_at"])
            event_publish(event_type="ticket.updated", data=ticket_payload(locked))
    _copy_state(source=locked, target=ticket)
    return ticket


def ticket_delete(*, ticket: Ticket) -> None:
    """Deletes a ticket and its replies."""
    with atomic():
        ticket.delete()


def _copy_state(*, source: Ticket, target: Ticket) -> None:
    # Callers keep their instance (the admin, a viewset): give it the saved state.
    if source is target:
        return
    for field in Ticket._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))


# --- Replies ----------------------------------------------------------------------------------


def status_after_reply(*, current: str, author: str) -> str:
    """The help-desk rule: a customer reply means the ball is in staff's court again (Open,
    reopening a Pending or Closed ticket); a staff reply to an Open ticket waits on the
    customer (Pending). A staff reply never reopens a Closed ticket: a note after closing
    (a receipt, a follow-up) should not put it back in the inbox."""
    if author == ReplyAuthor.CUSTOMER:
        return TicketStatus.OPEN
    if current == TicketStatus.OPEN:
        return TicketStatus.PENDING
    return current


def reply_payload(reply: TicketReply, ticket: Ticket) -> dict:
    from support.serializers import TicketReplySerializer

    return {**TicketReplySerializer(reply).data, "ticket": ticket_payload(ticket)}


def ticket_reply_create(
    *,
    ticket: Ticket,
    message: str,
    author: str = ReplyAuthor.STAFF,
    created_by=None,
) -> TicketReply:
    """Adds a reply, moves the ticket's status by `status_after_reply`, stamps
    `last_reply_at`, and announces `ticket.replied` (the reply with the ticket as it now is),
    all in one transaction on the locked ticket row, so concurrent replies apply in turn."""
    if author not in ReplyAuthor.values:
        raise DomainValidationError({"author": "Author must be staff or customer."})
    if not message or not message.strip():
        raise DomainValidationError({"message": "This field may not be blank."})
    with atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        reply = TicketReply.objects.create(
            ticket=locked, message=message, author=author, created_by=created_by
        )
        _apply_status(
            locked, status_after_reply(current=locked.status, author=author), reply.created_at
        )
        locked.last_reply_at = reply.created_at
        locked.save(update_fields=["status", "closed_at", "last_reply_at", "updated_at"])
        event_publish(event_type="ticket.replied", data=reply_payload(reply, locked))
    _copy_state(source=locked, target=ticket)
    return reply
