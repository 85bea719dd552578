"""Two reminder runs at once (the beat job and an operator's `send_reminders`, say) on
PostgreSQL: each (invoice, step) is still queued exactly once, decided by the outbox's unique
dedupe key under real row locks."""

import datetime
import io

import pytest
from django.core.management import call_command

from billing.sending import reminders_send
from mail.models import EmailMessage
from tests.billing.factories import item, make_invoice
from tests.concurrency import run_at_once
from tests.factories import CustomerFactory
from tests.markers import requires_postgres

pytestmark = [
    requires_postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("mail_settings"),
]

D = datetime.date


@pytest.fixture(autouse=True)
def steps(settings):
    settings.INVOICE_REMINDER_DAYS = [-3, 1, 7, 14]


@pytest.fixture
def invoices():
    return [
        make_invoice(
            customer=CustomerFactory(),
            items=[item("100.00")],
            date=D(2026, 3, 1),
            due_date=D(2026, 3, 20),
        )
        for _ in range(6)
    ]


def test_two_runs_at_once_queue_each_reminder_once(invoices):
    runs = run_at_once(2, lambda: reminders_send(on=D(2026, 3, 21)))

    assert [type(r).__name__ for r in runs] == ["ReminderRun", "ReminderRun"]
    assert sum(len(r.queued) for r in runs) == 6
    assert sum(r.already_sent for r in runs) == 6
    assert sorted(EmailMessage.objects.values_list("dedupe_key", flat=True)) == sorted(
        f"reminder:{invoice.pk}:1" for invoice in invoices
    )


def test_two_commands_at_once_over_a_month_send_each_step_once(invoices):
    def month(i):
        day = D(2026, 3, 1)
        while day <= D(2026, 4, 10):
            call_command("send_reminders", "--date", day.isoformat(), stdout=io.StringIO())
            day += datetime.timedelta(days=1)

    assert run_at_once(2, month) == [None, None]

    keys = list(EmailMessage.objects.values_list("dedupe_key", flat=True))
    assert len(keys) == len(set(keys)) == 6 * 4
