"""`/health` shows the recurring invoice generator's last run and turns degraded (check
`stale`) when beat has not run it for more than a day; the daily task issues today's
invoices."""

import datetime

import pytest
from django.utils import timezone

from billing.models import Invoice, RecurringInvoice, RecurringRun
from billing.recurring import recurring_invoices_generate
from billing.tasks import generate_recurring_invoices
from tests.billing.factories import make_recurring

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


def _check(client) -> tuple[int, dict, dict]:
    response = client.get("/health")
    body = response.json()
    return response.status_code, body, body["checks"]["recurring_invoices"]


def test_no_schedules_is_ok_even_before_a_first_run(client):
    status, body, check = _check(client)

    assert (status, body["status"], check["status"]) == (200, "ok", "ok")
    assert check["detail"]["last_run_at"] is None


def test_a_run_shows_when_and_what(client):
    make_recurring(start_date=datetime.date(2026, 1, 31))
    recurring_invoices_generate(on_date=datetime.date(2026, 2, 28))

    status, body, check = _check(client)

    assert (status, body["status"], check["status"]) == (200, "ok", "ok")
    assert check["detail"]["last_run_for"] == "2026-02-28"
    assert check["detail"]["issued"] == 2
    assert check["detail"]["last_run_at"].endswith("Z")


def test_no_run_for_more_than_a_day_is_stale_and_degraded(client):
    make_recurring(start_date=datetime.date(2026, 1, 31))
    recurring_invoices_generate(on_date=datetime.date(2026, 1, 31))
    RecurringRun.objects.update(finished_at=timezone.now() - datetime.timedelta(hours=26))

    status, body, check = _check(client)

    assert (status, body["status"], check["status"]) == (200, "degraded", "stale")
    assert body["degraded"] == ["recurring_invoices"]


def test_never_run_while_a_schedule_waited_a_day_is_stale(client):
    make_recurring()
    RecurringInvoice.objects.update(created_at=timezone.now() - datetime.timedelta(days=2))

    assert _check(client)[2]["status"] == "stale"


def test_a_schedule_created_today_is_not_stale_yet(client):
    make_recurring()

    assert _check(client)[2]["status"] == "ok"


def test_the_daily_task_issues_today_and_records_the_run():
    today = timezone.localdate()
    schedule = make_recurring(frequency="weekly", start_date=today - datetime.timedelta(days=7))

    generate_recurring_invoices.delay("default")

    assert list(
        Invoice.objects.filter(recurring_invoice=schedule).values_list("date", flat=True)
    ) == [
        today,
        today - datetime.timedelta(days=7),
    ]
    assert RecurringRun.objects.get().on_date == today
