"""A sandbox key's CSV export reads the sandbox, although its rows stream after the view."""

import csv
import io

import pytest
from rest_framework.test import APIClient

from customers.models import Customer
from tests.factories import CustomerFactory, make_api_key
from users.models import Role
from users.services import user_sandbox_mirror

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


def test_sandbox_csv_streams_sandbox_rows():
    CustomerFactory(account="Live customer")
    Customer.objects.using("sandbox").create(account="Sandy", email="s@example.com")
    key, raw = make_api_key(role=Role.STAFF, is_sandbox=True)
    user_sandbox_mirror(user=key.user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    response = client.get("/api/v2/customers?format=csv")

    body = b"".join(response.streaming_content).decode()
    assert [row["account"] for row in csv.DictReader(io.StringIO(body))] == ["Sandy"]
