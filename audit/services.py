"""Writes of the audit room: appending audit entries (called by every room's services) and
changing the closed-books setting."""

from collections.abc import Iterable
from datetime import date

from django.db.models import Model
from django.utils import timezone

from audit import books as books_cache
from audit.changes import diff_fields, snapshot
from audit.models import AuditEvent, Books
from core.actor import current_actor
from core.db import atomic, bulk_create_json
from core.errors import DomainValidationError
from core.request_id import current_request_id

CLOSED_IN_FUTURE = "The books can be closed through today at the latest."


def audit_record(
    *,
    action: str,
    resource: str,
    resource_id: int | str,
    changes: dict | None = None,
) -> AuditEvent:
    """Appends one audit entry: `action` (e.g. "invoice.updated") on `resource` #`resource_id`,
    by the current actor (`core.actor`), under the current request id, with `changes` as
    `{field: [before, after]}` (`audit.changes.diff_fields`).

    Call it inside the write's own transaction (the service's `atomic()` block, next to the
    outbox event), so the entry exists exactly when the change does. One INSERT, nothing
    read: the actor and the request id come from context variables.
    """
    actor = current_actor()
    return AuditEvent.objects.create(
        actor_type=actor.type,
        actor_id=actor.id,
        actor_name=actor.name[:255],
        action=action,
        resource=resource,
        resource_id=str(resource_id),
        changes=changes or {},
        request_id=current_request_id() or "",
    )


def audit_record_many(
    *,
    action: str,
    resource: str,
    entries: Iterable[tuple[int | str, dict | None]],
) -> list[AuditEvent]:
    """`audit_record` for a batch write (e.g. 1000 customers at once): one entry per
    `(resource_id, changes)` pair, all in one INSERT, with the same actor and request id."""
    return audit_record_each(
        entries=((action, resource, resource_id, changes) for resource_id, changes in entries)
    )


def audit_record_each(
    *, entries: Iterable[tuple[str, str, int | str, dict | None]]
) -> list[AuditEvent]:
    """`audit_record` for one write that changes several resources (a payment and its
    invoice): one entry per `(action, resource, resource_id, changes)`, all in one INSERT, so
    the write's audit costs one statement however many rows it touched."""
    actor = current_actor()
    request_id = current_request_id() or ""
    rows = [
        AuditEvent(
            actor_type=actor.type,
            actor_id=actor.id,
            actor_name=actor.name[:255],
            action=action,
            resource=resource,
            resource_id=str(resource_id),
            changes=changes or {},
            request_id=request_id,
        )
        for action, resource, resource_id, changes in entries
    ]
    return bulk_create_json(AuditEvent.objects, rows, json_fields=("changes",)) if rows else []


def books_update(*, closed_through: date | None) -> Books:
    """Sets the last closed day (None reopens every period), audited as "books.updated".
    A date after today is a 400 on `closed_through`. Every process applies the new date to
    its next write check (audit/books.py)."""
    if closed_through is not None and closed_through > timezone.localdate():
        raise DomainValidationError({"closed_through": CLOSED_IN_FUTURE})
    with atomic():
        books, _ = Books.objects.select_for_update().get_or_create(pk=Books.SINGLETON)
        before = snapshot(books, ["closed_through"])
        books.closed_through = closed_through
        books.save(update_fields=["closed_through", "updated_at"])
        audit_record(
            action="books.updated",
            resource="books",
            resource_id=books.pk,
            changes=diff_fields(before, snapshot(books, ["closed_through"])),
        )
        books_cache.forget(books._state.db)
    return books


# --- The three shapes of a row write, for the rooms' services ------------------------------


def audit_created(*, resource: str, row: Model, fields: list[str] | None = None) -> AuditEvent:
    """`<resource>.created` for a row just inserted: every field (or `fields`) as [None, value]."""
    return audit_record(
        action=f"{resource}.created",
        resource=resource,
        resource_id=row.pk,
        changes=diff_fields({}, snapshot(row, fields)),
    )


def audit_updated(
    *, resource: str, row: Model, before: dict, fields: list[str] | None = None
) -> AuditEvent:
    """`<resource>.updated` with what differs between `before` (a `snapshot` taken after the
    row lock, before the change) and the row now; `{}` when nothing did (the write happened)."""
    return audit_record(
        action=f"{resource}.updated",
        resource=resource,
        resource_id=row.pk,
        changes=diff_fields(before, snapshot(row, fields)),
    )


def audit_deleted(*, resource: str, row: Model, fields: list[str] | None = None) -> AuditEvent:
    """`<resource>.deleted`, called before the row's `delete()` (it still has its id); in the
    same transaction, so a refused delete leaves no entry."""
    return audit_record(
        action=f"{resource}.deleted",
        resource=resource,
        resource_id=row.pk,
        changes=diff_fields(snapshot(row, fields), {}),
    )
