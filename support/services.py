"""Writes for the support desk. Every function is atomic, raises a domain error on input it
refuses, and writes its webhook event and its audit entry in the same transaction as the
change (the outbox)."""

from django.db import IntegrityError
from django.utils import timezone

from audit.changes import diff_fields, snapshot
from audit.services import audit_created, audit_deleted, audit_record, audit_updated
from core.db import atomic
from core.errors import ConflictError, DomainValidationError
from core.services import UNCHANGED, Unchanged, given, model_update
from customers.models import Customer
from support.events import reply_payload, ticket_payload
from support.models import (
    TICKET_NUMBER_PREFIX,
    Department,
    ReplyAuthor,
    Ticket,
    TicketPriority,
    TicketReply,
    TicketStatus,
)
from users.models import User
from webhooks.services import event_publish

DEPARTMENT_FIELDS = ["name", "email"]
TICKET_FIELDS = [
    "customer",
    "department",
    "subject",
    "message",
    "priority",
    "status",
    "assigned_to",
]
# What a reply changes on its ticket.
TICKET_REPLY_MOVES = ["status", "closed_at", "last_reply_at"]
DEPARTMENT_NAME_TAKEN = "A department with this name already exists."
NEW_TICKET_IS_OPEN = "New tickets are always Open."


# --- Departments ------------------------------------------------------------------------------


def _department_name_taken(name: str, exclude_pk: int | None = None) -> bool:
    query = Department.objects.filter(name__iexact=name)
    if exclude_pk is not None:
        query = query.exclude(pk=exclude_pk)
    return query.exists()


def _department_data(**values) -> dict:
    data = given(**values)
    if "name" in data:
        data["name"] = data["name"].strip()
    if "email" in data:
        data["email"] = data["email"].strip().lower()
    return data


def department_create(*, name: str, email: str = "") -> Department:
    """Creates a department whose name no other department has (ignoring case)."""
    data = _department_data(name=name, email=email)
    try:
        with atomic():
            if _department_name_taken(data["name"]):
                raise DomainValidationError({"name": DEPARTMENT_NAME_TAKEN})
            department = Department.objects.create(**data)
            audit_created(resource="department", row=department)
    except IntegrityError:
        # A concurrent create took the name between the check and the insert.
        raise DomainValidationError({"name": DEPARTMENT_NAME_TAKEN}) from None
    return department


def department_update(
    *, department: Department, name: str | None = None, email: str | None = None
) -> Department:
    """Renames a department (the name still unique, ignoring case) or changes its email."""
    data = _department_data(name=name, email=email)
    try:
        with atomic():
            locked = Department.objects.select_for_update().get(pk=department.pk)
            before = snapshot(locked)
            if "name" in data and _department_name_taken(data["name"], locked.pk):
                raise DomainValidationError({"name": DEPARTMENT_NAME_TAKEN})
            model_update(instance=locked, fields=DEPARTMENT_FIELDS, data=data)
            audit_updated(resource="department", row=locked, before=before)
    except IntegrityError:
        raise DomainValidationError({"name": DEPARTMENT_NAME_TAKEN}) from None
    department.refresh_from_db()  # the caller keeps its instance: show it the saved row
    return department


def department_delete(*, department: Department) -> None:
    """Deletes a department that has never had a ticket; one with tickets is a conflict (409),
    since the tickets' history must keep the department they were handled by. The row is
    locked first: of concurrent deletes one wins, the others find it gone (404)."""
    with atomic():
        locked = Department.objects.select_for_update().get(pk=department.pk)
        count = Ticket.objects.filter(department=locked).count()
        if count:
            raise ConflictError(
                f"This department has {count} ticket(s); move them to another department "
                "before deleting it."
            )
        audit_deleted(resource="department", row=locked)
        locked.delete()


# --- Tickets ----------------------------------------------------------------------------------


def format_ticket_number(pk: int) -> str:
    return f"{TICKET_NUMBER_PREFIX}{pk:06d}"


def _status_change(ticket: Ticket, status: str, now) -> dict:
    """The columns that move `ticket` to `status`, keeping `closed_at` true to it (set on
    closing, cleared on reopening); nothing when it is already there."""
    if status == ticket.status:
        return {}
    return {"status": status, "closed_at": now if status == TicketStatus.CLOSED else None}


def ticket_create(
    *,
    customer: Customer,
    department: Department,
    subject: str,
    message: str,
    priority: str = TicketPriority.MEDIUM,
    status: str = TicketStatus.OPEN,
    assigned_to: User | None = None,
) -> Ticket:
    """Opens a ticket (always `Open`) with a unique `TKT-NNNNNN` number and announces
    `ticket.created`.

    The number comes from the row's primary key, assigned by the database sequence, so two
    concurrent creations can never get the same number and no lock is needed.
    """
    if status != TicketStatus.OPEN:
        raise DomainValidationError({"status": NEW_TICKET_IS_OPEN})
    with atomic():
        ticket = Ticket.objects.create(
            customer=customer,
            department=department,
            subject=subject,
            message=message,
            priority=priority,
            status=TicketStatus.OPEN,
            assigned_to=assigned_to,
        )
        ticket.ticket_number = format_ticket_number(ticket.pk)
        ticket.save(update_fields=["ticket_number"])
        event_publish(event_type="ticket.created", data=ticket_payload(ticket))
        audit_created(resource="ticket", row=ticket)
    return ticket


def ticket_update(
    *,
    ticket: Ticket,
    customer: Customer | None = None,
    department: Department | None = None,
    subject: str | None = None,
    message: str | None = None,
    priority: str | None = None,
    status: str | None = None,
    assigned_to: User | None | Unchanged = UNCHANGED,
) -> Ticket:
    """Changes the given fields of a ticket (`assigned_to=None` unassigns it); closing and
    reopening are a change of `status`. Announces `ticket.updated` when anything changed.

    Only the changed fields are written, on a row locked for the transaction, so an edit never
    undoes a reply's status move that committed in between.
    """
    data = given(
        customer=customer,
        department=department,
        subject=subject,
        message=message,
        priority=priority,
    )
    if assigned_to is not UNCHANGED:
        data["assigned_to"] = assigned_to
    with atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        before = snapshot(locked)
        if status is not None:
            data.update(_status_change(locked, status, timezone.now()))
        _, changed = model_update(instance=locked, fields=[*TICKET_FIELDS, "closed_at"], data=data)
        if changed:
            event_publish(event_type="ticket.updated", data=ticket_payload(locked))
        audit_updated(resource="ticket", row=locked, before=before)
    ticket.refresh_from_db()  # the caller keeps its instance: show it the saved row
    return ticket


def ticket_delete(*, ticket: Ticket) -> None:
    """Deletes a ticket and its replies. The row is locked first: of concurrent deletes one
    wins, the others find it gone (DoesNotExist: 404)."""
    with atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        audit_deleted(resource="ticket", row=locked)
        locked.delete()


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
        before = snapshot(locked, TICKET_REPLY_MOVES)
        reply = TicketReply.objects.create(
            ticket=locked, message=message, author=author, created_by=created_by
        )
        moved = _status_change(
            locked, status_after_reply(current=locked.status, author=author), reply.created_at
        )
        model_update(
            instance=locked,
            fields=TICKET_REPLY_MOVES,
            data={**moved, "last_reply_at": reply.created_at},
        )
        event_publish(event_type="ticket.replied", data=reply_payload(reply, locked))
        # One entry on the ticket: the reply it gained and the status it moved to.
        audit_record(
            action="ticket.replied",
            resource="ticket",
            resource_id=locked.pk,
            changes=diff_fields(
                {**before, "reply_id": None},
                {**snapshot(locked, TICKET_REPLY_MOVES), "reply_id": reply.pk},
            ),
        )
    ticket.refresh_from_db()  # the caller keeps its instance: show it the saved row
    return reply
