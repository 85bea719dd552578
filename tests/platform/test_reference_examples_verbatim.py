"""Every request body of api-reference.md, sent verbatim with the key `make run` prints, to a
fresh `make run` database (demo data loaded, the README's curl already run), succeeds.

The bodies are copied here character for character from the reference (not from
api/schema_examples.py, which another test checks against the schema): the point is what a
newcomer pasting them gets."""

import io
import socket

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

REFERENCE_BODIES = [
    (
        "/api/v2/customers",
        {
            "account": "Jane Smith",
            "email": "jane@example.com",
            "phone": "1234567890",
            "address": "123 Business St",
            "city": "New York",
            "state": "NY",
            "zip": "10001",
            "country": "US",
        },
    ),
    (
        "/api/v2/invoices",
        {
            "customer_id": 1,
            "date": "2024-01-15",
            "due_date": "2024-02-15",
            "items": [{"description": "Web Development", "amount": 1500.00, "qty": 1}],
            "notes": "Payment due within 30 days",
        },
    ),
    (
        "/api/v2/transactions",
        {
            "type": "Income",
            "account_id": 1,
            "amount": 1500.00,
            "category_id": 1,
            "description": "Website Development Payment",
            "date": "2024-01-15",
        },
    ),
    (
        "/api/v2/products",
        {
            "name": "Web Hosting",
            "price": 99.99,
            "description": "Annual web hosting package",
            "type": "service",
            "tax_rate": 10,
        },
    ),
    (
        "/api/v2/quotes",
        {
            "customer_id": 1,
            "valid_until": "2024-02-15",
            "items": [{"description": "Consulting Services", "amount": 2000.00, "qty": 1}],
        },
    ),
    (
        "/api/v2/tickets",
        {
            "customer_id": 1,
            "subject": "Technical Support Required",
            "message": "Need assistance with installation",
            "department_id": 1,
            "priority": "High",
        },
    ),
    (
        "/api/v2/leads",
        {
            "first_name": "John",
            "last_name": "Smith",
            "email": "john@example.com",
            "company": "Acme Corp",
            "phone": "1234567890",
            "source": "Website",
        },
    ),
    (
        "/api/v2/users",
        {
            "name": "Admin User",
            "email": "admin@example.com",
            "password": "securepassword",
            "role": "administrator",
        },
    ),
    (
        "/api/v2/webhooks",
        {
            "url": "https://your-domain.com/webhook",
            "events": ["invoice.created", "payment.received"],
        },
    ),
    (
        "/api/v2/batch/customers",
        {
            "customers": [
                {"account": "Customer 1", "email": "customer1@example.com"},
                {"account": "Customer 2", "email": "customer2@example.com"},
            ]
        },
    ),
]
README_CURL_BODY = {"account": "Sam Rivera", "email": "sam@example.com"}


@pytest.fixture
def no_dns(monkeypatch):
    """The reference's webhook host must not be looked up for real: resolution fails, as it
    would for a name whose record is still to be made."""

    def refuse(host, *args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "no outbound lookups in tests")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def _make_run_key() -> str:
    """What `make run` does before serving (Makefile), returning the key it prints."""
    for database in ("default", "sandbox"):
        call_command("seed_demo", "--database", database, stdout=io.StringIO())
    call_command("ensure_admin", stdout=io.StringIO())
    out = io.StringIO()
    call_command(
        "create_api_key",
        "--email",
        "owner@ledgerline.local",
        "--name",
        "make run",
        "--replace",
        stdout=out,
    )
    return out.getvalue().strip().splitlines()[-1]


@pytest.mark.django_db(transaction=True, reset_sequences=True, databases=["default", "sandbox"])
def test_every_reference_body_succeeds_on_a_fresh_make_run(no_dns):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {_make_run_key()}")
    assert client.post("/api/v2/customers", README_CURL_BODY, format="json").status_code == 201

    failures = {}
    for path, body in REFERENCE_BODIES:
        response = client.post(path, body, format="json")
        if response.status_code not in (200, 201):
            failures[path] = (response.status_code, response.json())

    assert failures == {}
