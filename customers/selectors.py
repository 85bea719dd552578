"""Reads of the customers room that more than one door needs (services, admin forms)."""

from customers.models import Customer


def customer_email_taken(*, email: str, exclude_pk: int | None = None) -> bool:
    """Whether another customer has `email`, ignoring case (the unique rule)."""
    query = Customer.objects.filter(email__iexact=email)
    if exclude_pk is not None:
        query = query.exclude(pk=exclude_pk)
    return query.exists()


def customer_find_by_email(*, email: str) -> Customer | None:
    return Customer.objects.filter(email__iexact=email).first()
