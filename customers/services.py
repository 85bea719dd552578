"""Writes for customers. Each function is atomic and writes its webhook event in the same
transaction (the outbox)."""

from decimal import Decimal

from django.db import IntegrityError

from audit.changes import diff_fields
from audit.services import audit_record
from core.db import atomic
from core.errors import DomainValidationError
from customers.models import Customer
from webhooks.services import event_publish, events_publish_many

EMAIL_TAKEN = "A customer with this email already exists."
CUSTOMER_FIELDS = ("account", "email", "phone", "address", "city", "state", "zip", "country")


def customer_payload(customer: Customer) -> dict:
    from customers.serializers import CustomerSerializer

    return CustomerSerializer(customer).data


def customer_payloads(customers: list[Customer]) -> list[dict]:
    # One list serializer builds the fields once; a serializer per customer rebuilt them for
    # every row, which was most of a 1000-customer batch's time (docs/performance.md).
    from customers.serializers import CustomerSerializer

    return CustomerSerializer(customers, many=True).data


def _normalize(data: dict) -> dict:
    clean = {k: v for k, v in data.items() if k in CUSTOMER_FIELDS}
    if "email" in clean:
        clean["email"] = clean["email"].strip().lower()
    return clean


def _email_taken(email: str, exclude_pk: int | None = None) -> bool:
    query = Customer.objects.filter(email__iexact=email)
    if exclude_pk is not None:
        query = query.exclude(pk=exclude_pk)
    return query.exists()


def customer_create(*, data: dict) -> Customer:
    """Creates a customer with a unique (case-insensitive) email and announces
    `customer.created`."""
    fields = _normalize(data)
    try:
        with atomic():
            if _email_taken(fields["email"]):
                raise DomainValidationError({"email": EMAIL_TAKEN})
            customer = Customer.objects.create(**fields)
            event_publish(event_type="customer.created", data=customer_payload(customer))
    except IntegrityError:
        # A concurrent create took the email between our check and our insert.
        raise DomainValidationError({"email": EMAIL_TAKEN}) from None
    return customer


def customer_update(*, customer: Customer, data: dict) -> Customer:
    fields = _normalize(data)
    try:
        with atomic():
            if "email" in fields and _email_taken(fields["email"], exclude_pk=customer.pk):
                raise DomainValidationError({"email": EMAIL_TAKEN})
            for name, value in fields.items():
                setattr(customer, name, value)
            customer.save()
            event_publish(event_type="customer.updated", data=customer_payload(customer))
    except IntegrityError:
        raise DomainValidationError({"email": EMAIL_TAKEN}) from None
    return customer


def customer_delete(*, customer: Customer) -> None:
    """Deletes a customer with no invoices, quotes or tickets (those protect it: 409)."""
    with atomic():
        payload = customer_payload(customer)
        customer.delete()
        event_publish(event_type="customer.deleted", data=payload)


def customer_batch_create(*, records: list[dict]) -> list[Customer]:
    """Creates every record or none: one `bulk_create`, errors keyed `customers.N.field`."""
    rows = [_normalize(record) for record in records]
    errors: dict[str, str] = {}
    seen: dict[str, int] = {}
    for index, row in enumerate(rows):
        email = row["email"]
        if email in seen:
            errors[f"customers.{index}.email"] = (
                f"Duplicate of customers.{seen[email]}.email in this batch."
            )
        seen.setdefault(email, index)
    taken = set(Customer.objects.filter(email__in=list(seen)).values_list("email", flat=True))
    for index, row in enumerate(rows):
        if row["email"] in taken:
            errors.setdefault(f"customers.{index}.email", EMAIL_TAKEN)
    if errors:
        raise DomainValidationError(errors)
    try:
        with atomic():
            created = Customer.objects.bulk_create([Customer(**row) for row in rows])
            events_publish_many(event_type="customer.created", items=customer_payloads(created))
    except IntegrityError:
        raise DomainValidationError(
            {"customers": "Some emails were taken by a concurrent request; nothing was saved."}
        ) from None
    return created


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
