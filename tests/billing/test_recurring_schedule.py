"""The generator over two simulated years: day by day and with gaps of weeks, each schedule
issues exactly its period dates (from the start date, month ends kept), once each, never a
future one, and stops at its end date."""

import datetime
import io

import pytest
from django.core.management import call_command
from hypothesis import given
from hypothesis import strategies as st

from billing.models import Invoice, RecurringStatus
from billing.recurring import period_date, recurring_invoices_generate
from tests.billing.factories import make_recurring

pytestmark = pytest.mark.django_db

D = datetime.date
START = D(2024, 1, 1)
END = D(2025, 12, 31)


def _issued(schedule) -> list[datetime.date]:
    return list(
        Invoice.objects.filter(recurring_invoice=schedule)
        .order_by("date")
        .values_list("date", flat=True)
    )


def _simulate(step_days: int, last: datetime.date = END) -> None:
    day = START
    while day <= last:
        recurring_invoices_generate(on_date=day)
        day += datetime.timedelta(days=step_days)
    recurring_invoices_generate(on_date=last)


EXPECTED_31 = [
    D(2024, 1, 31), D(2024, 2, 29), D(2024, 3, 31), D(2024, 4, 30), D(2024, 5, 31),
    D(2024, 6, 30), D(2024, 7, 31), D(2024, 8, 31), D(2024, 9, 30), D(2024, 10, 31),
    D(2024, 11, 30), D(2024, 12, 31), D(2025, 1, 31), D(2025, 2, 28), D(2025, 3, 31),
    D(2025, 4, 30), D(2025, 5, 31), D(2025, 6, 30), D(2025, 7, 31), D(2025, 8, 31),
    D(2025, 9, 30), D(2025, 10, 31), D(2025, 11, 30), D(2025, 12, 31),
]  # fmt: skip


def _schedules():
    return {
        "weekly": make_recurring(frequency="weekly", start_date=D(2024, 1, 3)),
        "biweekly": make_recurring(frequency="weekly", interval=2, start_date=D(2024, 1, 5)),
        "monthly_29": make_recurring(frequency="monthly", start_date=D(2024, 1, 29)),
        "monthly_30": make_recurring(frequency="monthly", start_date=D(2024, 1, 30)),
        "monthly_31": make_recurring(frequency="monthly", start_date=D(2024, 1, 31)),
        "quarterly": make_recurring(frequency="quarterly", start_date=D(2024, 1, 31)),
        "yearly_29feb": make_recurring(frequency="yearly", start_date=D(2024, 2, 29)),
        "ending": make_recurring(
            frequency="monthly", start_date=D(2024, 3, 15), end_date=D(2024, 8, 14)
        ),
    }


def _expected() -> dict[str, list[datetime.date]]:
    weekly = [D(2024, 1, 3) + datetime.timedelta(weeks=n) for n in range(200)]
    biweekly = [D(2024, 1, 5) + datetime.timedelta(weeks=2 * n) for n in range(200)]
    return {
        "weekly": [d for d in weekly if d <= END],
        "biweekly": [d for d in biweekly if d <= END],
        "monthly_29": [
            D(2024, 1, 29), D(2024, 2, 29), *[D(2024, m, 29) for m in range(3, 13)],
            D(2025, 1, 29), D(2025, 2, 28), *[D(2025, m, 29) for m in range(3, 13)],
        ],
        "monthly_30": [
            D(2024, 1, 30), D(2024, 2, 29), *[D(2024, m, 30) for m in range(3, 13)],
            D(2025, 1, 30), D(2025, 2, 28), *[D(2025, m, 30) for m in range(3, 13)],
        ],
        "monthly_31": EXPECTED_31,
        "quarterly": [
            D(2024, 1, 31), D(2024, 4, 30), D(2024, 7, 31), D(2024, 10, 31),
            D(2025, 1, 31), D(2025, 4, 30), D(2025, 7, 31), D(2025, 10, 31),
        ],
        "yearly_29feb": [D(2024, 2, 29), D(2025, 2, 28)],
        "ending": [D(2024, m, 15) for m in range(3, 8)],
    }  # fmt: skip


@pytest.mark.parametrize("step_days", [1, 9, 23], ids=["day-by-day", "9-day-gaps", "23-day-gaps"])
def test_two_years_issue_exactly_the_period_dates(step_days):
    schedules = _schedules()

    _simulate(step_days)

    expected = _expected()
    for name, schedule in schedules.items():
        assert _issued(schedule) == expected[name], name


def test_day_by_day_never_issues_a_future_period():
    schedule = make_recurring(frequency="monthly", start_date=D(2024, 1, 31))
    day = D(2024, 1, 1)
    while day <= D(2024, 6, 30):
        recurring_invoices_generate(on_date=day)
        assert all(d <= day for d in _issued(schedule))
        day += datetime.timedelta(days=1)

    assert _issued(schedule) == EXPECTED_31[:6]


def test_missed_periods_each_issued_once_dated_their_own_period():
    schedule = make_recurring(frequency="monthly", start_date=D(2024, 1, 31), due_days=14)

    run = recurring_invoices_generate(on_date=D(2024, 5, 30))

    invoices = list(Invoice.objects.filter(recurring_invoice=schedule).order_by("date"))
    assert [i.date for i in invoices] == EXPECTED_31[:4]
    assert [i.due_date for i in invoices] == [
        d + datetime.timedelta(days=14) for d in EXPECTED_31[:4]
    ]
    assert [i.period_date for i in invoices] == EXPECTED_31[:4]
    assert {i.status for i in invoices} == {"Unpaid"}
    assert len(run.issued) == 4
    schedule.refresh_from_db()
    assert (schedule.next_date, schedule.invoices_count) == (D(2024, 5, 31), 4)
    assert schedule.last_invoice_id == invoices[-1].pk


def test_rerun_issues_nothing_more():
    schedule = make_recurring(frequency="weekly", start_date=D(2024, 1, 1))
    recurring_invoices_generate(on_date=D(2024, 2, 1))
    count = Invoice.objects.count()

    again = recurring_invoices_generate(on_date=D(2024, 2, 1))

    assert again.issued == []
    assert Invoice.objects.count() == count == 5
    schedule.refresh_from_db()
    assert schedule.invoices_count == 5


def test_end_date_finishes_the_schedule():
    schedule = make_recurring(
        frequency="monthly", start_date=D(2024, 1, 10), end_date=D(2024, 3, 10)
    )

    recurring_invoices_generate(on_date=D(2024, 12, 31))

    schedule.refresh_from_db()
    assert _issued(schedule) == [D(2024, 1, 10), D(2024, 2, 10), D(2024, 3, 10)]
    assert (schedule.status, schedule.next_date) == (RecurringStatus.FINISHED, None)


def test_paused_schedule_issues_nothing():
    from billing.recurring import recurring_invoice_pause

    schedule = make_recurring(frequency="weekly", start_date=D(2024, 1, 1))
    recurring_invoice_pause(recurring_invoice=schedule)

    run = recurring_invoices_generate(on_date=D(2024, 3, 1))

    assert run.issued == [] and _issued(schedule) == []


def test_invoices_are_numbered_in_date_order():
    make_recurring(frequency="weekly", start_date=D(2024, 1, 1))

    recurring_invoices_generate(on_date=D(2024, 1, 22))

    numbers = list(Invoice.objects.order_by("date").values_list("invoice_number", flat=True))
    assert numbers == ["INV-2024-001", "INV-2024-002", "INV-2024-003", "INV-2024-004"]


def test_period_date_counts_from_the_start_not_the_previous_period():
    start = D(2024, 1, 31)

    months = [period_date(start_date=start, frequency="monthly", interval=1, n=n) for n in range(4)]

    assert months == [D(2024, 1, 31), D(2024, 2, 29), D(2024, 3, 31), D(2024, 4, 30)]
    leap = [
        period_date(start_date=D(2024, 2, 29), frequency="yearly", interval=1, n=n)
        for n in range(5)
    ]
    assert leap == [D(2024, 2, 29), D(2025, 2, 28), D(2026, 2, 28), D(2027, 2, 28), D(2028, 2, 29)]


def test_command_prints_a_summary():
    make_recurring(frequency="monthly", start_date=D(2024, 1, 31))
    out = io.StringIO()

    call_command("generate_recurring_invoices", "--date", "2024-03-31", stdout=out)

    assert "Recurring invoices for 2024-03-31: 3 issued from 1 schedules" in out.getvalue()
    assert Invoice.objects.count() == 3


def test_command_refuses_a_bad_date():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--date"):
        call_command("generate_recurring_invoices", "--date", "2024-02-30")
    assert Invoice.objects.count() == 0


def test_closed_books_stop_one_schedule_not_the_others():
    from audit.services import books_update

    blocked = make_recurring(frequency="monthly", start_date=D(2024, 1, 5))
    fine = make_recurring(frequency="monthly", start_date=D(2024, 3, 5))
    books_update(closed_through=D(2024, 2, 28))

    run = recurring_invoices_generate(on_date=D(2024, 3, 31))

    assert _issued(blocked) == []
    assert _issued(fine) == [D(2024, 3, 5)]
    assert len(run.failed) == 1 and f"#{blocked.pk}" in run.failed[0]
    assert "closed" in run.failed[0]


def test_a_database_error_in_one_schedule_leaves_the_others_issued(monkeypatch):
    from django.db import DatabaseError

    from billing import recurring

    bad = make_recurring(frequency="monthly", start_date=D(2024, 1, 5))
    good = make_recurring(frequency="monthly", start_date=D(2024, 1, 6))
    original = recurring.Invoice.objects.bulk_create

    def bulk_create(objs, *args, **kwargs):
        if any(o.recurring_invoice_id == bad.pk for o in objs):
            raise DatabaseError("disk full")  # what a broken row would raise
        return original(objs, *args, **kwargs)

    monkeypatch.setattr(recurring.Invoice.objects, "bulk_create", bulk_create)

    run = recurring_invoices_generate(on_date=D(2024, 1, 31))

    assert _issued(bad) == [] and _issued(good) == [D(2024, 1, 6)]
    assert run.failed == [f"schedule #{bad.pk}: DatabaseError"]
    bad.refresh_from_db()
    assert (bad.next_date, bad.invoices_count) == (D(2024, 1, 5), 0)


@given(
    start=st.dates(min_value=D(1990, 1, 1), max_value=D(2150, 12, 31)),
    n=st.integers(min_value=0, max_value=400),
    frequency=st.sampled_from(["monthly", "quarterly", "yearly"]),
    interval=st.integers(min_value=1, max_value=12),
)
def test_a_period_keeps_the_start_day_or_the_month_end(start, n, frequency, interval):
    import calendar

    day = period_date(start_date=start, frequency=frequency, interval=interval, n=n)

    months = n * interval * {"monthly": 1, "quarterly": 3, "yearly": 12}[frequency]
    assert (day.year - start.year) * 12 + day.month - start.month == months
    last = calendar.monthrange(day.year, day.month)[1]
    assert day.day == min(start.day, last)


@pytest.mark.django_db(databases=["default", "sandbox"])
def test_the_command_on_the_sandbox_leaves_live_alone():
    from core.db import SANDBOX, using_alias

    live = make_recurring(start_date=D(2024, 1, 31))
    with using_alias(SANDBOX):
        from tests.factories import CustomerFactory

        customer = CustomerFactory.create()
        make_recurring(customer=customer, start_date=D(2024, 1, 31))

    call_command(
        "generate_recurring_invoices", "--date", "2024-02-29", "--database", "sandbox",
        stdout=io.StringIO(),
    )  # fmt: skip

    assert Invoice.objects.filter(recurring_invoice=live).count() == 0
    with using_alias(SANDBOX):
        assert Invoice.objects.using(SANDBOX).count() == 2
