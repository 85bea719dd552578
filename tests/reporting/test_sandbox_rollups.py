from datetime import date
from decimal import Decimal

import pytest

from core.db import SANDBOX, using_alias
from ledger.models import Account
from reporting.models import RollupMonth
from tests.platform.conftest import sandbox_client

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


def test_a_sandbox_write_refreshes_the_sandbox_roll_ups_only(
    api, django_capture_on_commit_callbacks
):
    sandbox = sandbox_client()
    with using_alias(SANDBOX):
        account = Account.objects.create(name="Sandbox checking")

    with django_capture_on_commit_callbacks(using=SANDBOX, execute=True):
        response = sandbox.post(
            "/api/v2/transactions",
            {"type": "Income", "account_id": account.pk, "amount": "42.00", "date": "2024-01-15"},
            format="json",
        )

    assert response.status_code == 201
    with using_alias(SANDBOX):
        assert RollupMonth.objects.get(month=date(2024, 1, 1)).income == Decimal("42.00")
    assert not RollupMonth.objects.exists()
    assert sandbox.get("/api/v2/reports/financial").json()["data"]["income"] == 42.0
    assert api.get("/api/v2/reports/financial").json()["data"]["income"] == 0.0
