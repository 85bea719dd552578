"""Writes for customers and leads. Each function is atomic, raises a domain error on input it
refuses, and writes its webhook event in the same transaction as the change (the outbox).

Update functions take the fields to change as keyword arguments; a field left out (None) is
kept as it is. They lock the row and save only the fields that changed. Every write appends
its audit entry (`customer.*`, `lead.*`) in the same transaction."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError
from django.db.models import ProtectedError
from django.utils import timezone

from audit.changes import diff_fields, snapshot
from audit.services import (
    audit_created,
    audit_deleted,
    audit_record,
    audit_record_many,
    audit_updated,
)
from core.currencies import base_currency, currency_check
from core.db import atomic
from core.errors import ConflictError, DomainValidationError
from core.services import given, model_update
from customers.events import customer_payload, customer_payloads, lead_payload
from customers.models import Customer, Lead, LeadStatus
from customers.selectors import customer_email_taken, customer_find_by_email
from webhooks.services import event_publish, events_publish_many

EMAIL_TAKEN = "A customer with this email already exists."
CUSTOMER_FIELDS = [
    "account",
    "email",
    "phone",
    "address",
    "city",
    "state",
    "zip",
    "country",
    "reminders_enabled",
    "currency",
]
LEAD_FIELDS = ["first_name", "last_name", "email", "company", "phone", "source", "status"]
CONVERT_THROUGH_ENDPOINT = "A lead becomes Converted only through POST /api/v2/leads/{id}/convert."
ALREADY_CONVERTED = "This lead has already been converted."


def _protected_conflict(noun: str, exc: ProtectedError) -> ConflictError:
    kinds = sorted({str(obj._meta.verbose_name_plural) for obj in exc.protected_objects})
    return ConflictError(f"This {noun} still has {', '.join(kinds)} and cannot be deleted.")


# --- Customers --------------------------------------------------------------------------------


def _customer_email(email: str) -> str:
    return email.strip().lower()


def customer_create(
    *,
    account: str,
    email: str,
    phone: str = "",
    address: str = "",
    city: str = "",
    state: str = "",
    zip: str = "",
    country: str = "",
    reminders_enabled: bool = True,
    currency: str | None = None,
) -> Customer:
    """Creates a customer with a unique (case-insensitive) email, billed in `currency` (an
    ISO 4217 code; the base currency when left out), and announces `customer.created`."""
    email = _customer_email(email)
    currency = currency_check(currency) or base_currency()
    try:
        with atomic():
            if customer_email_taken(email=email):
                raise DomainValidationError({"email": EMAIL_TAKEN})
            customer = Customer.objects.create(
                account=account,
                email=email,
                phone=phone,
                address=address,
                city=city,
                state=state,
                zip=zip,
                country=country,
                reminders_enabled=reminders_enabled,
                currency=currency,
            )
            event_publish(event_type="customer.created", data=customer_payload(customer))
            audit_created(resource="customer", row=customer)
    except IntegrityError:
        # A concurrent create took the email between our check and our insert.
        raise DomainValidationError({"email": EMAIL_TAKEN}) from None
    return customer


def customer_update(
    *,
    customer: Customer,
    account: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    address: str | None = None,
    city: str | None = None,
    state: str | None = None,
    zip: str | None = None,
    country: str | None = None,
    reminders_enabled: bool | None = None,
    currency: str | None = None,
) -> Customer:
    """Changes the given fields of a customer (email still unique, ignoring case) and
    announces `customer.updated`. A new currency applies to documents created from then on;
    it cannot change while the customer has a credit balance (held in the old one). A
    customer deleted meanwhile raises DoesNotExist (404)."""
    currency_check(currency)
    data = given(
        account=account,
        email=email,
        phone=phone,
        address=address,
        city=city,
        state=state,
        zip=zip,
        country=country,
        reminders_enabled=reminders_enabled,
        currency=currency,
    )
    if "email" in data:
        data["email"] = _customer_email(data["email"])
    try:
        with atomic():
            locked = Customer.objects.select_for_update().get(pk=customer.pk)
            before = snapshot(locked)
            if "email" in data and customer_email_taken(email=data["email"], exclude_pk=locked.pk):
                raise DomainValidationError({"email": EMAIL_TAKEN})
            if data.get("currency", locked.currency) != locked.currency and locked.credit_balance:
                raise DomainValidationError(
                    {
                        "currency": f"This customer has a credit balance in {locked.currency}: "
                        "its currency cannot change until it is spent."
                    }
                )
            model_update(instance=locked, fields=CUSTOMER_FIELDS, data=data)
            event_publish(event_type="customer.updated", data=customer_payload(locked))
            audit_updated(resource="customer", row=locked, before=before)
    except IntegrityError:
        raise DomainValidationError({"email": EMAIL_TAKEN}) from None
    customer.refresh_from_db()  # the caller keeps its instance: show it the saved row
    return customer


def customer_delete(*, customer: Customer) -> None:
    """Deletes a customer with no invoices, quotes or tickets (those protect it: 409) and
    announces `customer.deleted`. The row is locked first, so of concurrent deletes one wins
    and writes the one event; the others find it gone (DoesNotExist: 404)."""
    with atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        payload = customer_payload(locked)
        audit_deleted(resource="customer", row=locked)
        try:
            locked.delete()
        except ProtectedError as exc:
            raise _protected_conflict("customer", exc) from None
        event_publish(event_type="customer.deleted", data=payload)


def _batch_rows(records: list[dict]) -> list[dict]:
    rows = [
        {name: value for name, value in record.items() if name in CUSTOMER_FIELDS}
        for record in records
    ]
    for row in rows:
        row["email"] = _customer_email(row["email"])
        row["currency"] = row.get("currency") or base_currency()
    return rows


def customer_batch_errors(
    *, records: list[dict], prefix: str = "customers", source: str = "batch"
) -> dict[str, str]:
    """What refuses a batch of `customer_create` records, keyed `<prefix>.N.email` (a repeated
    email, one already taken); empty when every record can be created. Reads only: an import's
    dry run asks this and writes nothing."""
    rows = _batch_rows(records)
    errors: dict[str, str] = {}
    seen: dict[str, int] = {}
    for index, row in enumerate(rows):
        email = row["email"]
        if email in seen:
            errors[f"{prefix}.{index}.email"] = (
                f"Duplicate of {prefix}.{seen[email]}.email in this {source}."
            )
        seen.setdefault(email, index)
    taken = set(Customer.objects.filter(email__in=list(seen)).values_list("email", flat=True))
    for index, row in enumerate(rows):
        if row["email"] in taken:
            errors.setdefault(f"{prefix}.{index}.email", EMAIL_TAKEN)
    return errors


def customer_batch_create(
    *, records: list[dict], prefix: str = "customers", source: str = "batch"
) -> list[Customer]:
    """Creates every record or none (each record holds `customer_create`'s arguments): one
    `bulk_create` and one `customer.created` event per customer in the same transaction,
    errors keyed `<prefix>.N.field` (`customers.N` for the batch endpoint, `rows.N` for an
    import)."""
    errors = customer_batch_errors(records=records, prefix=prefix, source=source)
    if errors:
        raise DomainValidationError(errors)
    rows = _batch_rows(records)
    try:
        with atomic():
            created = Customer.objects.bulk_create([Customer(**row) for row in rows])
            events_publish_many(event_type="customer.created", items=customer_payloads(created))
            audit_record_many(
                action="customer.created",
                resource="customer",
                entries=[(row.pk, diff_fields({}, snapshot(row))) for row in created],
            )
    except IntegrityError:
        raise DomainValidationError(
            {prefix: "Some emails were taken by a concurrent request; nothing was saved."}
        ) from None
    return created


# --- Leads ------------------------------------------------------------------------------------


def _lead_data(**values) -> dict:
    data = given(**values)
    if "email" in data:
        data["email"] = data["email"].strip().lower()
    for name in ("first_name", "last_name", "company", "phone", "source"):
        if name in data:
            data[name] = data[name].strip()
    return data


def lead_status_error(*, lead: Lead | None, status: str) -> str | None:
    """Why `status` cannot be set by an edit on `lead` (None when it can): Converted is
    reached only by conversion, and a converted lead's status is history."""
    current = lead.status if lead is not None else None
    if status == current:
        return None
    if current == LeadStatus.CONVERTED:
        return "A converted lead keeps the status Converted."
    if status == LeadStatus.CONVERTED:
        return CONVERT_THROUGH_ENDPOINT
    return None


def lead_create(
    *,
    first_name: str,
    last_name: str,
    email: str,
    company: str = "",
    phone: str = "",
    source: str = "",
    status: str = LeadStatus.NEW,
) -> Lead:
    """Creates a lead (status New unless given, never Converted) and announces
    `lead.created`."""
    data = _lead_data(
        first_name=first_name,
        last_name=last_name,
        email=email,
        company=company,
        phone=phone,
        source=source,
        status=status,
    )
    error = lead_status_error(lead=None, status=data["status"])
    if error:
        raise DomainValidationError({"status": error})
    with atomic():
        lead = Lead.objects.create(**data)
        event_publish(event_type="lead.created", data=lead_payload(lead))
        audit_created(resource="lead", row=lead)
    return lead


def lead_update(
    *,
    lead: Lead,
    first_name: str | None = None,
    last_name: str | None = None,
    email: str | None = None,
    company: str | None = None,
    phone: str | None = None,
    source: str | None = None,
    status: str | None = None,
) -> Lead:
    """Changes a lead's details and its pipeline status (New, Contacted, Qualified, Lost);
    Converted is set only by `lead_convert` and never undone. Announces `lead.updated`."""
    data = _lead_data(
        first_name=first_name,
        last_name=last_name,
        email=email,
        company=company,
        phone=phone,
        source=source,
        status=status,
    )
    with atomic():
        locked = Lead.objects.select_for_update().get(pk=lead.pk)
        before = snapshot(locked)
        if "status" in data:
            error = lead_status_error(lead=locked, status=data["status"])
            if error and locked.status == LeadStatus.CONVERTED:
                raise ConflictError(error)
            if error:
                raise DomainValidationError({"status": error})
        model_update(instance=locked, fields=LEAD_FIELDS, data=data)
        event_publish(event_type="lead.updated", data=lead_payload(locked))
        audit_updated(resource="lead", row=locked, before=before)
    lead.refresh_from_db()  # the caller keeps its instance: show it the saved row
    return lead


def lead_delete(*, lead: Lead) -> None:
    """Deletes a lead; the customer it became, if any, stays. The row is locked first, so of
    concurrent deletes one wins; the others find it gone (DoesNotExist: 404)."""
    with atomic():
        locked = Lead.objects.select_for_update().get(pk=lead.pk)
        audit_deleted(resource="lead", row=locked)
        locked.delete()


@dataclass(frozen=True)
class LeadConversion:
    lead: Lead
    customer: Customer
    # False when the lead's email already belonged to a customer, who was linked instead.
    customer_created: bool


def lead_convert(*, lead: Lead) -> LeadConversion:
    """Turns a lead into a customer, in one transaction on the locked lead row:

    - a lead already Converted is a conflict (409), so a double click converts once;
    - a customer whose email matches the lead's (ignoring case) is linked, not duplicated;
    - otherwise a customer is created through `customer_create` (so `customer.created`
      fires), named after the company, or the person when there is no company;
    - the lead becomes Converted, linked to that customer, and `lead.converted` is announced.

    Any status but Converted may convert, Lost included: a lost prospect who comes back and
    buys is converted like any other, and the conversion is explicit.
    """
    with atomic():
        locked = Lead.objects.select_for_update().get(pk=lead.pk)
        if locked.status == LeadStatus.CONVERTED:
            raise ConflictError(ALREADY_CONVERTED)
        before = snapshot(locked)
        customer = customer_find_by_email(email=locked.email)
        created = False
        if customer is None:
            customer, created = _customer_from_lead(locked)
        model_update(
            instance=locked,
            fields=["status", "customer", "converted_at"],
            data={
                "status": LeadStatus.CONVERTED,
                "customer": customer,
                "converted_at": timezone.now(),
            },
        )
        event_publish(event_type="lead.converted", data=lead_payload(locked))
        # The customer it created (if any) has its own `customer.created` entry.
        audit_record(
            action="lead.converted",
            resource="lead",
            resource_id=locked.pk,
            changes=diff_fields(before, snapshot(locked)),
        )
    lead.refresh_from_db()  # the caller keeps its instance: show it the saved row
    return LeadConversion(lead=lead, customer=customer, customer_created=created)


def _customer_from_lead(lead: Lead) -> tuple[Customer, bool]:
    try:
        customer = customer_create(
            account=lead.company or lead.full_name, email=lead.email, phone=lead.phone
        )
        return customer, True
    except DomainValidationError as exc:
        # A customer with this email was created concurrently, after our lookup: link it.
        if "email" not in exc.errors:
            raise
        customer = customer_find_by_email(email=lead.email)
        if customer is None:
            raise
        return customer, False


def customer_credit_adjust(
    *, customer: Customer, amount: Decimal, field: str = "amount"
) -> Customer:
    """Adds `amount` to the customer's credit balance (a negative amount spends it), under a
    lock on the customer row. A balance that would go below 0 is a 400 on `field`. Called
    inside billing's own transaction (credit notes settled as credit, credit payments and
    their voids); announces `customer.updated` and records it in the audit trail."""
    with atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        before = locked.credit_balance
        if before + amount < 0:
            raise DomainValidationError(
                {field: f"The customer's credit balance ({before}) is less than this amount."}
            )
        locked.credit_balance = before + amount
        locked.save(update_fields=["credit_balance", "updated_at"])
        event_publish(event_type="customer.updated", data=customer_payload(locked))
        audit_record(
            action="customer.updated",
            resource="customer",
            resource_id=locked.pk,
            changes=diff_fields(
                {"credit_balance": before}, {"credit_balance": locked.credit_balance}
            ),
        )
    customer.credit_balance = locked.credit_balance
    return locked
