"""Billing through a sandbox key lives in the sandbox database, numbering included."""

import pytest
from rest_framework.test import APIClient

from billing.models import Invoice, Payment
from tests.billing.factories import make_invoice
from tests.factories import make_api_key
from users.models import Role
from users.services import user_sandbox_mirror

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


@pytest.fixture
def sandbox_api() -> APIClient:
    key, raw = make_api_key(role=Role.ADMINISTRATOR, is_sandbox=True)
    user_sandbox_mirror(user=key.user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_sandbox_invoice_and_payment_stay_in_the_sandbox(sandbox_api):
    make_invoice()  # live: INV-2024-001
    customer = sandbox_api.post(
        "/api/v2/customers", {"account": "Sandy", "email": "s@example.com"}, format="json"
    ).json()["data"]
    account = sandbox_api.post(
        "/api/v2/accounts", {"name": "Test bank", "currency": "USD"}, format="json"
    ).json()["data"]

    invoice = sandbox_api.post(
        "/api/v2/invoices",
        {
            "customer_id": customer["id"],
            "date": "2024-01-15",
            "items": [{"description": "Test", "amount": 10}],
        },
        format="json",
    ).json()["data"]
    payment = sandbox_api.post(
        f"/api/v2/invoices/{invoice['id']}/payments",
        {"amount": 10, "account_id": account["id"], "date": "2024-01-16"},
        format="json",
    )

    assert invoice["invoice_number"] == "INV-2024-001"
    assert payment.status_code == 201
    assert Invoice.objects.using("sandbox").get().status == "Paid"
    assert Payment.objects.using("sandbox").count() == 1
    assert Invoice.objects.using("default").get().status == "Unpaid"
    assert Payment.objects.using("default").count() == 0
    pdf = sandbox_api.get(f"/api/v2/invoices/{invoice['id']}/pdf")
    assert pdf["Content-Type"] == "application/pdf"
