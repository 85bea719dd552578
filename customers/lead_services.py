"""Writes for leads. Each function is atomic and writes its webhook event in the same
transaction as the change (the outbox)."""

from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from core.db import atomic
from core.errors import ConflictError, DomainValidationError
from customers.models import Customer, Lead, LeadStatus
from customers.services import customer_create
from webhooks.services import event_publish

LEAD_FIELDS = ("first_name", "last_name", "email", "company", "phone", "source", "status")
CONVERT_THROUGH_ENDPOINT = "A lead becomes Converted only through POST /api/v2/leads/{id}/convert."
ALREADY_CONVERTED = "This lead has already been converted."


def lead_payload(lead: Lead) -> dict:
    from customers.lead_serializers import LeadSerializer

    return LeadSerializer(lead).data


def _normalize(data: dict) -> dict:
    fields = {k: v for k, v in data.items() if k in LEAD_FIELDS}
    if "email" in fields:
        fields["email"] = fields["email"].strip().lower()
    for name in ("first_name", "last_name", "company", "phone", "source"):
        if isinstance(fields.get(name), str):
            fields[name] = fields[name].strip()
    return fields


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


def lead_create(*, data: dict[str, Any]) -> Lead:
    """Creates a lead (status New unless given, never Converted) and announces
    `lead.created`."""
    fields = _normalize(data)
    error = lead_status_error(lead=None, status=fields.get("status", LeadStatus.NEW))
    if error:
        raise DomainValidationError({"status": error})
    with atomic():
        lead = Lead.objects.create(**fields)
        event_publish(event_type="lead.created", data=lead_payload(lead))
    return lead


def lead_update(*, lead: Lead, data: dict[str, Any]) -> Lead:
    """Changes a lead's details and its pipeline status (New, Contacted, Qualified, Lost);
    Converted is set only by `lead_convert` and never undone."""
    fields = _normalize(data)
    with atomic():
        locked = Lead.objects.select_for_update().get(pk=lead.pk)
        if "status" in fields:
            error = lead_status_error(lead=locked, status=fields["status"])
            if error and locked.status == LeadStatus.CONVERTED:
                raise ConflictError(error)
            if error:
                raise DomainValidationError({"status": error})
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save()
        event_publish(event_type="lead.updated", data=lead_payload(locked))
    _copy_state(source=locked, target=lead)
    return lead


def lead_delete(*, lead: Lead) -> None:
    """Deletes a lead; the customer it became, if any, stays."""
    with atomic():
        lead.delete()


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
        customer = Customer.objects.filter(email__iexact=locked.email).first()
        created = False
        if customer is None:
            customer, created = _customer_from_lead(locked)
        locked.status = LeadStatus.CONVERTED
        locked.customer = customer
        locked.converted_at = timezone.now()
        locked.save(update_fields=["status", "customer", "converted_at", "updated_at"])
        event_publish(event_type="lead.converted", data=lead_payload(locked))
    _copy_state(source=locked, target=lead)
    return LeadConversion(lead=lead, customer=customer, customer_created=created)


def _customer_from_lead(lead: Lead) -> tuple[Customer, bool]:
    data = {
        "account": lead.company or lead.full_name,
        "email": lead.email,
        "phone": lead.phone,
    }
    try:
        return customer_create(data=data), True
    except DomainValidationError as exc:
        # A customer with this email was created concurrently, after our lookup: link it.
        if "email" not in exc.errors:
            raise
        customer = Customer.objects.filter(email__iexact=lead.email).first()
        if customer is None:
            raise
        return customer, False


def _copy_state(*, source: Lead, target: Lead) -> None:
    if source is target:
        return
    for field in Lead._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
