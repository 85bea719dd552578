from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import UserFactory
from tests.ledger.factories import AccountFactory
from tests.reporting.billing_helpers import invoice_create
from users.models import Role

pytestmark = pytest.mark.django_db

DASHBOARD = "/admin/reporting/rollupmonth/dashboard/"


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(role=Role.ADMINISTRATOR))
    return client


def test_admin_index_links_to_the_dashboard(admin_client):
    response = admin_client.get("/admin/")

    assert response.status_code == 200
    assert DASHBOARD in response.content.decode()


def test_dashboard_shows_this_years_months_and_the_outstanding_total(admin_client, api, committed):
    today = timezone.localdate()
    account = AccountFactory()
    for type_, amount in (("Income", "1500.00"), ("Expense", "400.25")):
        committed(
            api.post,
            "/api/v2/transactions",
            {
                "type": type_,
                "account_id": account.pk,
                "amount": amount,
                "date": today.replace(day=1).isoformat(),
            },
            format="json",
        )
    committed(invoice_create, api, amount="321.09", day=today)

    response = admin_client.get(DASHBOARD)

    assert response.status_code == 200
    assert response.context["year"] == today.year
    series = response.context["series"]
    assert [row["month"] for row in series] == list(range(1, 13))
    this_month = series[today.month - 1]
    assert (this_month["income"], this_month["expenses"]) == (Decimal("1500.00"), Decimal("400.25"))
    assert this_month["income_height"] == 180  # the tallest bar fills the chart
    assert response.context["all_time"]["outstanding_invoices"] == Decimal("321.09")
    html = response.content.decode()
    # Self-contained: an inline SVG, nothing loaded from another host.
    assert "<svg" in html
    assert 'src="http' not in html and 'href="http' not in html
    assert "321.09" in html
    assert "1,099.75" in html  # this year's profit


def test_dashboard_can_show_another_year(admin_client):
    response = admin_client.get(f"{DASHBOARD}?year=2020")

    assert response.context["year"] == 2020
    assert all(row["income"] == 0 for row in response.context["series"])


def test_dashboard_needs_a_staff_login(client):
    response = client.get(DASHBOARD)

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_roll_up_admin_is_read_only(admin_client):
    assert admin_client.get("/admin/reporting/rollupmonth/").status_code == 200
    assert admin_client.get("/admin/reporting/rollupmonth/add/").status_code == 403
