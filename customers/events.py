"""Webhook payloads of the customers room, in one place: each resource as the API shows it
(the same fields and formats as customers/serializers.py; tests/customers/test_events.py holds
the two together), built without a serializer so services stay free of the HTTP layer."""

from rest_framework.fields import DateTimeField

from customers.models import Customer, Lead

# The API's own datetime format (REST_FRAMEWORK["DATETIME_FORMAT"]), None for None.
_when = DateTimeField().to_representation


def customer_payload(customer: Customer) -> dict:
    return {
        "id": customer.pk,
        "account": customer.account,
        "email": customer.email,
        "phone": customer.phone,
        "address": customer.address,
        "city": customer.city,
        "state": customer.state,
        "zip": customer.zip,
        "country": customer.country,
        "reminders_enabled": customer.reminders_enabled,
        "currency": customer.currency,
        "credit_balance": customer.credit_balance,
        "created_at": _when(customer.created_at),
        "updated_at": _when(customer.updated_at),
    }


def customer_payloads(customers: list[Customer]) -> list[dict]:
    return [customer_payload(customer) for customer in customers]


def lead_payload(lead: Lead) -> dict:
    return {
        "id": lead.pk,
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "email": lead.email,
        "company": lead.company,
        "phone": lead.phone,
        "source": lead.source,
        "status": lead.status,
        "customer_id": lead.customer_id,
        "converted_at": _when(lead.converted_at),
        "created_at": _when(lead.created_at),
        "updated_at": _when(lead.updated_at),
    }
