"""Two generator runs at once on PostgreSQL (the beat job's two shares, or beat and an
operator's command): each (schedule, period) is issued exactly once, the invoice numbers stay
gapless, and the unique constraint refuses a second invoice for a period whatever the code
path."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.db import IntegrityError
from django.db.models import Count

from billing.models import Invoice, RecurringInvoice
from billing.recurring import due_periods, recurring_invoices_generate
from tests.billing.factories import item, make_recurring
from tests.concurrency import run_at_once
from tests.factories import CustomerFactory
from tests.markers import requires_postgres

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]

D = datetime.date


@pytest.fixture
def schedules():
    customer = CustomerFactory()
    return [
        make_recurring(
            customer=customer,
            frequency=["weekly", "monthly", "quarterly"][n % 3],
            start_date=D(2024, 1, 1 + n % 28),
        )
        for n in range(30)
    ]


def _no_doubles() -> bool:
    doubles = (
        Invoice.objects.values("recurring_invoice", "period_date")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    return not doubles.exists()


def test_two_runs_at_once_issue_each_period_once(schedules):
    runs = run_at_once(2, lambda: recurring_invoices_generate(on_date=D(2024, 6, 30), chunk_size=4))

    assert [type(r).__name__ for r in runs] == ["RecurringGeneration"] * 2
    issued = runs[0].issued + runs[1].issued
    assert len(issued) == len(set(issued)) == Invoice.objects.count()
    assert runs[0].issued and runs[1].issued  # both took a share
    assert _no_doubles()
    numbers = sorted(int(n.rsplit("-", 1)[1]) for n in issued)
    assert numbers == list(range(1, len(issued) + 1))
    for schedule in RecurringInvoice.objects.all():
        assert schedule.invoices_count == schedule.invoices.count()
        assert schedule.next_date > D(2024, 6, 30)


def test_two_commands_day_by_day_over_months_issue_each_period_once(schedules):
    def months(i):
        day = D(2024, 1, 1)
        while day <= D(2024, 4, 30):
            call_command(
                "generate_recurring_invoices", "--date", day.isoformat(), stdout=io.StringIO()
            )
            day += datetime.timedelta(days=3 + i)

    assert run_at_once(2, months) == [None, None]
    call_command("generate_recurring_invoices", "--date", "2024-04-30", stdout=io.StringIO())

    assert _no_doubles()
    # The fixture's copies were read before any run: due_periods lists every period from 0.
    expected = sum(len(due_periods(s, through=D(2024, 4, 30))) for s in schedules)
    assert Invoice.objects.count() == expected


def test_the_database_refuses_a_second_invoice_for_a_period():
    schedule = make_recurring(start_date=D(2024, 1, 31), items=[item("10")])
    recurring_invoices_generate(on_date=D(2024, 1, 31))
    first = Invoice.objects.get()

    with pytest.raises(IntegrityError):
        Invoice.objects.create(
            customer=first.customer,
            date=first.date,
            due_date=first.due_date,
            recurring_invoice=schedule,
            period_date=first.period_date,
            status="Draft",
        )
