"""How roll-ups are kept: the on-commit hook, the Celery tasks, `aggregate_reports`."""

from datetime import date
from decimal import Decimal
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from kombu.exceptions import OperationalError

from core.db import atomic
from reporting import tasks
from reporting.hooks import rollups_refresh_on_commit
from reporting.models import RollupCategoryLine, RollupMonth
from tests.ledger.factories import CategoryFactory, TransactionFactory

pytestmark = pytest.mark.django_db


def snapshot():
    return sorted(
        RollupMonth.objects.values_list(
            "month", "income", "expenses", "outstanding", "transaction_count"
        )
    ), sorted(
        RollupCategoryLine.objects.values_list(
            "period__month", "type", "category_id", "total", "count"
        )
    )


def test_refresh_is_queued_only_after_commit(django_capture_on_commit_callbacks):
    TransactionFactory(amount=Decimal("7.00"), date=date(2024, 4, 9))

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        rollups_refresh_on_commit(dates=[date(2024, 4, 9), date(2024, 4, 30)])
    assert RollupMonth.objects.count() == 0  # nothing before commit
    for callback in callbacks:
        callback()

    assert len(callbacks) == 1  # one task for both dates of the month
    assert RollupMonth.objects.get(month=date(2024, 4, 1)).income == Decimal("7.00")


def test_rolled_back_write_queues_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), atomic():
            rollups_refresh_on_commit(dates=[date(2024, 4, 9)])
            raise RuntimeError("rolled back")

    assert callbacks == []
    assert RollupMonth.objects.count() == 0


def test_broker_outage_does_not_fail_the_committed_write(django_capture_on_commit_callbacks):
    with mock.patch.object(tasks.refresh_rollups, "delay", side_effect=OperationalError("down")):
        with django_capture_on_commit_callbacks(execute=True):
            rollups_refresh_on_commit(dates=[date(2024, 4, 9)])

    assert RollupMonth.objects.count() == 0  # repaired later by the rebuild


def test_refresh_task_is_idempotent():
    category = CategoryFactory(type="Expense")
    TransactionFactory(
        type="Expense", category=category, amount=Decimal("3.10"), date=date(2024, 5, 1)
    )

    tasks.refresh_rollups.delay(months=["2024-05-01"])
    first = snapshot()
    tasks.refresh_rollups.delay(months=["2024-05-01"])

    assert snapshot() == first
    assert first[0][0][2] == Decimal("3.10")


def test_beat_task_rebuilds_everything():
    TransactionFactory(amount=Decimal("1.00"), date=date(2022, 1, 1))
    TransactionFactory(amount=Decimal("2.00"), date=date(2022, 3, 31))

    months = tasks.rebuild_rollups.delay().get()

    assert months == 2  # January and March: February has no data, so no row
    assert list(RollupMonth.objects.order_by("month").values_list("month", "income")) == [
        (date(2022, 1, 1), Decimal("1.00")),
        (date(2022, 3, 1), Decimal("2.00")),
    ]


def test_aggregate_reports_prints_progress_and_a_summary():
    TransactionFactory(amount=Decimal("10.00"), date=date(2024, 1, 5))
    TransactionFactory(type="Expense", amount=Decimal("2.50"), date=date(2024, 2, 5))
    out = StringIO()

    call_command("aggregate_reports", stdout=out)

    assert out.getvalue().splitlines() == [
        "Rebuilding roll-ups in 'default'...",
        "  [2/2] 2024-02",
        "Rebuilt 2 months: 2 transactions, income 10.00, expenses 2.50, outstanding invoices 0.00.",
    ]


def test_aggregate_reports_is_safe_to_re_run():
    TransactionFactory(amount=Decimal("10.00"), date=date(2024, 1, 5))
    call_command("aggregate_reports", verbosity=0)
    first = snapshot()

    call_command("aggregate_reports", verbosity=0)

    assert snapshot() == first


def test_rebuild_prunes_a_month_whose_data_disappeared():
    txn = TransactionFactory(amount=Decimal("10.00"), date=date(2024, 1, 5))
    call_command("aggregate_reports", verbosity=0)
    txn.delete()  # behind the services' back

    call_command("aggregate_reports", verbosity=0)

    assert RollupMonth.objects.count() == 0
    assert RollupCategoryLine.objects.count() == 0


def test_rebuild_with_data_years_apart_creates_no_empty_rows():
    TransactionFactory(amount=Decimal("1.00"), date=date(1900, 1, 1))
    TransactionFactory(amount=Decimal("2.00"), date=date(2024, 6, 30))
    TransactionFactory(type="Expense", amount=Decimal("3.00"), date=date(2199, 12, 31))
    RollupMonth.objects.create(month=date(1999, 5, 1))  # an empty row an older rebuild left

    months = tasks.rebuild_rollups.delay().get()

    assert months == 3
    assert list(
        RollupMonth.objects.order_by("month").values_list("month", "income", "expenses")
    ) == [
        (date(1900, 1, 1), Decimal("1.00"), Decimal("0.00")),
        (date(2024, 6, 1), Decimal("2.00"), Decimal("0.00")),
        (date(2199, 12, 1), Decimal("0.00"), Decimal("3.00")),
    ]


def test_rebuild_survives_rows_stored_outside_the_date_window():
    # Written around the services (as before the window existed): the rebuild neither
    # crashes on year 9999's December nor walks the 119,988 months between the two.
    TransactionFactory(amount=Decimal("1.00"), date=date(1, 1, 1))
    TransactionFactory(amount=Decimal("2.00"), date=date(9999, 12, 31))
    out = StringIO()

    call_command("aggregate_reports", stdout=out)

    assert out.getvalue().splitlines()[-1] == (
        "Rebuilt 2 months: 2 transactions, income 3.00, expenses 0.00, outstanding invoices 0.00."
    )
    assert list(RollupMonth.objects.order_by("month").values_list("month", "income")) == [
        (date(1, 1, 1), Decimal("1.00")),
        (date(9999, 12, 1), Decimal("2.00")),
    ]


def test_refresh_of_december_9999_does_not_crash():
    TransactionFactory(amount=Decimal("4.00"), date=date(9999, 12, 31))

    tasks.refresh_rollups.delay(months=["9999-12-01"])

    assert RollupMonth.objects.get(month=date(9999, 12, 1)).income == Decimal("4.00")
