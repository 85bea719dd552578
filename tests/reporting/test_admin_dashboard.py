"""The admin index's widgets: what each shows, and one query each whatever the books hold."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from billing.models import InvoiceStatus
from reporting import selectors
from reporting.dashboard import chart_context
from support.models import TicketPriority, TicketStatus
from tests.billing.factories import AccountFactory, item, make_invoice, make_payment
from tests.support.factories import TicketFactory
from users.services import user_create

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2024, 6, 30)


def books(n: int) -> None:
    """n overdue invoices (the k-th due k days ago), n paid ones, n tickets, a draft and a
    cancelled invoice that owe nothing."""
    account = AccountFactory(name="Operating", currency="USD", opening_balance=Decimal("500.00"))
    for k in range(1, n + 1):
        make_invoice(
            items=[item("100.00")],
            date=TODAY - datetime.timedelta(days=40),
            due_date=TODAY - datetime.timedelta(days=k),
        )
        paid = make_invoice(items=[item("10.00")], date=TODAY)
        make_payment(paid, "10.00", account=account, date=TODAY)
        TicketFactory(priority=TicketPriority.HIGH)
    make_invoice(items=[item("7.00")], date=TODAY, status=InvoiceStatus.DRAFT)


WIDGETS = [
    lambda: selectors.cash_position(),
    lambda: selectors.receivables_summary(today=TODAY),
    lambda: selectors.overdue_invoices(today=TODAY),
    lambda: selectors.aging_report(today=TODAY),
    lambda: selectors.recent_payments(),
    lambda: selectors.open_tickets_by_priority(),
    lambda: chart_context(year=2024),
]


@pytest.mark.parametrize("widget", WIDGETS)
@pytest.mark.parametrize("size", [2, 12])
def test_each_widget_is_one_query(widget, size, django_assert_num_queries):
    books(size)

    with django_assert_num_queries(1):
        widget()


def test_receivables_count_issued_invoices_only():
    books(3)

    assert selectors.receivables_summary(today=TODAY) == {
        "outstanding": Decimal("300.00"),
        "outstanding_count": 3,
        "overdue": Decimal("300.00"),
        "overdue_count": 3,
    }


def test_overdue_invoices_oldest_first_with_days_overdue():
    books(3)

    rows = selectors.overdue_invoices(today=TODAY)

    assert [row["days_overdue"] for row in rows] == [3, 2, 1]
    assert [row["balance_due"] for row in rows] == [Decimal("100.00")] * 3


def test_cash_position_per_account_in_its_currency():
    books(2)
    AccountFactory(name="Euro account", currency="EUR", opening_balance=Decimal("12.50"))

    assert [(a["name"], a["currency"], a["balance"]) for a in selectors.cash_position()] == [
        ("Euro account", "EUR", Decimal("12.50")),
        ("Operating", "USD", Decimal("520.00")),
    ]


def test_open_tickets_by_priority_most_urgent_first():
    TicketFactory(priority=TicketPriority.URGENT)
    TicketFactory(priority=TicketPriority.LOW)
    TicketFactory(priority=TicketPriority.LOW)
    TicketFactory(priority=TicketPriority.LOW, status=TicketStatus.CLOSED)

    assert selectors.open_tickets_by_priority() == [
        {"priority": "Urgent", "count": 1},
        {"priority": "High", "count": 0},
        {"priority": "Medium", "count": 0},
        {"priority": "Low", "count": 2},
    ]


def test_index_shows_the_widgets_with_money_in_its_currency(client: Client):
    today = timezone.localdate()
    make_invoice(
        items=[item("6709.99")],
        date=today - datetime.timedelta(days=40),
        due_date=today - datetime.timedelta(days=9),
    )
    client.force_login(user_create(email="clerk@example.com", name="Clerk", role="staff"))

    html = client.get("/admin/").content.decode()

    assert 'id="ll-overdue">$6,709.99<' in html
    assert "ll-overdue-invoices" in html and ">9<" in html


def test_index_query_count_is_the_same_for_few_and_many_rows(
    client: Client, django_assert_max_num_queries
):
    client.force_login(user_create(email="clerk@example.com", name="Clerk", role="staff"))
    books(2)
    with django_assert_max_num_queries(40) as few:
        client.get("/admin/")
    books(10)

    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/admin/")
