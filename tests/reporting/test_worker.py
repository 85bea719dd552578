"""End to end through a real Celery worker and Redis: a transaction committed through the API
refreshes the roll-up, and the report shows it, within seconds."""

import time
from datetime import date
from decimal import Decimal

import pytest

from reporting.models import RollupMonth
from tests.celery_worker import celery_worker
from tests.ledger.factories import AccountFactory, CategoryFactory
from tests.markers import requires_postgres, requires_redis

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    requires_postgres,
    requires_redis,
]


def wait_for(predicate, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    return predicate()


def january_income():
    row = RollupMonth.objects.filter(month=date(2024, 1, 1)).first()
    return row.income if row else None


def test_committed_transaction_refreshes_the_roll_up_through_the_worker(api):
    account = AccountFactory()
    category = CategoryFactory(type="Income")

    with celery_worker() as worker:
        started = time.monotonic()
        response = api.post(
            "/api/v2/transactions",
            {
                "type": "Income",
                "account_id": account.pk,
                "amount": "1500.00",
                "category_id": category.pk,
                "date": "2024-01-15",
            },
            format="json",
        )
        assert response.status_code == 201
        refreshed = wait_for(lambda: january_income() == Decimal("1500.00"))
        elapsed = time.monotonic() - started

        assert refreshed, "".join(worker.log[-40:])
        assert elapsed < 10
        assert any(
            "reporting.tasks.refresh_rollups" in line and "succeeded" in line for line in worker.log
        )
        report = api.get("/api/v2/reports/financial?year=2024&month=1").json()["data"]
        assert report["income"] == 1500.0
