"""The daily job through a real Celery worker and Redis: the beat task shares the day out
to `RECURRING_INVOICES_WORKERS` tasks, which issue every due invoice once between them."""

import datetime
import time

import pytest
from django.utils import timezone

from billing.models import Invoice, RecurringRun
from billing.tasks import generate_recurring_invoices
from tests.billing.factories import make_recurring
from tests.celery_worker import celery_worker
from tests.markers import requires_postgres, requires_redis

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    requires_postgres,
    requires_redis,
]


def test_the_daily_task_issues_every_due_invoice_once_through_the_worker():
    today = timezone.localdate()
    schedules = [
        make_recurring(frequency="weekly", start_date=today - datetime.timedelta(days=14))
        for _ in range(12)
    ]

    with celery_worker() as worker:
        generate_recurring_invoices.delay("default")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            shares = [line for line in worker.log if "generate_recurring_invoices_share" in line]
            if sum("succeeded" in line for line in shares) >= 2:
                break
            time.sleep(0.2)

        assert Invoice.objects.count() == 3 * len(schedules), "".join(worker.log[-40:])
    assert sorted(set(Invoice.objects.values_list("date", flat=True))) == [
        today - datetime.timedelta(days=14),
        today - datetime.timedelta(days=7),
        today,
    ]
    assert RecurringRun.objects.get().on_date == today
