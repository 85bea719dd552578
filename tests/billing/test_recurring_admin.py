"""Recurring invoices in the admin: list, create and edit through billing.recurring, pause
and resume actions, the next invoice previewed and the issued ones listed on the change page."""

import datetime
from decimal import Decimal

import pytest

from billing.models import RecurringInvoice, RecurringStatus
from billing.recurring import recurring_invoices_generate
from tests.billing.factories import item, make_recurring
from tests.billing.test_admin import form_data, messages_of, staff  # noqa: F401 - fixture
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

D = datetime.date
BASE = "/admin/billing/recurringinvoice/"


def test_changelist_and_add_page_open(staff):  # noqa: F811
    make_recurring()

    assert staff.get(BASE).status_code == 200
    assert staff.get(f"{BASE}add/").status_code == 200


def test_staff_creates_a_schedule(staff):  # noqa: F811
    customer = CustomerFactory()
    data = form_data(staff.get(f"{BASE}add/"))
    data.update(
        {
            "customer": customer.pk,
            "frequency": "quarterly",
            "interval": "1",
            "start_date": "2026-01-31",
            "due_days": "14",
            "currency": "USD",
            "discount": "0",
            "items-TOTAL_FORMS": "1",
            "items-0-description": "Retainer",
            "items-0-qty": "1",
            "items-0-amount": "500.00",
            "items-0-tax_rate": "10",
        }
    )

    response = staff.post(f"{BASE}add/", data)

    assert response.status_code == 302, messages_of(response)
    schedule = RecurringInvoice.objects.get()
    assert (schedule.frequency, schedule.next_date, schedule.total) == (
        "quarterly",
        D(2026, 1, 31),
        Decimal("550.00"),
    )


def test_change_page_previews_and_lists_issued_invoices(staff):  # noqa: F811
    schedule = make_recurring(start_date=D(2026, 1, 31), items=[item("120")])
    run = recurring_invoices_generate(on_date=D(2026, 2, 28))

    page = staff.get(f"{BASE}{schedule.pk}/change/").content.decode()

    assert "Dated 2026-03-31 (due 2026-04-30)" in page
    assert all(number in page for number in run.issued)


def test_a_frozen_field_change_is_refused_on_the_page(staff):  # noqa: F811
    schedule = make_recurring(start_date=D(2026, 1, 31))
    recurring_invoices_generate(on_date=D(2026, 1, 31))
    url = f"{BASE}{schedule.pk}/change/"
    data = form_data(staff.get(url))
    data["frequency"] = "weekly"

    response = staff.post(url, data, follow=True)

    assert any("fixed" in message for message in messages_of(response))
    schedule.refresh_from_db()
    assert schedule.frequency == "monthly"


def test_pause_and_resume_actions(staff):  # noqa: F811
    schedule = make_recurring()

    paused = staff.post(BASE, {"action": "pause", "_selected_action": [schedule.pk]}, follow=True)
    schedule.refresh_from_db()
    assert schedule.status == RecurringStatus.PAUSED
    assert "1 schedule(s) paused." in messages_of(paused)

    again = staff.post(BASE, {"action": "pause", "_selected_action": [schedule.pk]}, follow=True)
    assert any("Only an active schedule" in m for m in messages_of(again))

    staff.post(BASE, {"action": "resume", "_selected_action": [schedule.pk]}, follow=True)
    schedule.refresh_from_db()
    assert schedule.status == RecurringStatus.ACTIVE
