from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import CustomerFactory
from tests.ledger.factories import AccountFactory
from tests.ledger.helpers import dec
from tests.reporting.billing_helpers import invoice_create, payment_record, payment_void

pytestmark = pytest.mark.django_db

URL = "/api/v2/reports/aging"
BUCKETS = ("current", "days_1_30", "days_31_60", "days_61_90", "days_90_plus", "total")


def overdue(api, days: int, amount: str, customer) -> dict:
    today = timezone.localdate()
    due = today - timedelta(days=days)
    return invoice_create(api, amount=amount, day=min(due, today), due=due, customer=customer)


def buckets(row) -> dict:
    return {name: dec(row[name]) for name in BUCKETS}


def test_empty_aging(api):
    data = api.get(URL).json()["data"]

    assert data["as_of"] == timezone.localdate().isoformat()
    assert buckets(data["totals"]) == dict.fromkeys(BUCKETS, Decimal("0.00"))
    assert data["customers"] == []


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (-10, "current"),
        (0, "current"),
        (1, "days_1_30"),
        (30, "days_1_30"),
        (31, "days_31_60"),
        (60, "days_31_60"),
        (61, "days_61_90"),
        (90, "days_61_90"),
        (91, "days_90_plus"),
        (400, "days_90_plus"),
    ],
)
def test_each_invoice_lands_in_the_bucket_of_its_days_overdue(api, days, bucket):
    overdue(api, days, "10.01", CustomerFactory())

    totals = buckets(api.get(URL).json()["data"]["totals"])

    expected = dict.fromkeys(BUCKETS, Decimal("0.00"))
    expected[bucket] = expected["total"] = Decimal("10.01")
    assert totals == expected


def test_totals_and_per_customer_balances(api):
    acme = CustomerFactory(account="Acme")
    globex = CustomerFactory(account="Globex")
    overdue(api, 0, "100.00", acme)
    overdue(api, 45, "20.50", acme)
    overdue(api, 95, "300.00", globex)
    overdue(api, 5, "0.25", globex)
    invoice_create(api, amount="999.00", day=timezone.localdate(), customer=globex, status="Draft")

    data = api.get(URL).json()["data"]

    assert [(c["customer_id"], c["account"], buckets(c)) for c in data["customers"]] == [
        (
            globex.pk,
            "Globex",
            {
                "current": Decimal("0.00"),
                "days_1_30": Decimal("0.25"),
                "days_31_60": Decimal("0.00"),
                "days_61_90": Decimal("0.00"),
                "days_90_plus": Decimal("300.00"),
                "total": Decimal("300.25"),
            },
        ),
        (
            acme.pk,
            "Acme",
            {
                "current": Decimal("100.00"),
                "days_1_30": Decimal("0.00"),
                "days_31_60": Decimal("20.50"),
                "days_61_90": Decimal("0.00"),
                "days_90_plus": Decimal("0.00"),
                "total": Decimal("120.50"),
            },
        ),
    ]
    assert buckets(data["totals"]) == {
        "current": Decimal("100.00"),
        "days_1_30": Decimal("0.25"),
        "days_31_60": Decimal("20.50"),
        "days_61_90": Decimal("0.00"),
        "days_90_plus": Decimal("300.00"),
        "total": Decimal("420.75"),
    }


def test_partial_payment_and_its_void_move_the_balance_to_the_cent(api):
    customer = CustomerFactory()
    invoice = overdue(api, 40, "1000.00", customer)
    payment = payment_record(
        api, invoice=invoice, amount="333.33", day=timezone.localdate(), account=AccountFactory()
    )

    paid = buckets(api.get(URL).json()["data"]["totals"])
    payment_void(api, invoice=invoice, payment=payment)
    voided = buckets(api.get(URL).json()["data"]["totals"])

    assert (paid["days_31_60"], paid["total"]) == (Decimal("666.67"), Decimal("666.67"))
    assert (voided["days_31_60"], voided["total"]) == (Decimal("1000.00"), Decimal("1000.00"))


def test_fully_paid_invoices_drop_out(api):
    customer = CustomerFactory()
    invoice = overdue(api, 10, "50.00", customer)
    payment_record(
        api, invoice=invoice, amount="50.00", day=timezone.localdate(), account=AccountFactory()
    )

    data = api.get(URL).json()["data"]

    assert data["customers"] == []
    assert dec(data["totals"]["total"]) == Decimal("0.00")


def test_aging_query_count_does_not_grow_with_customers(api, django_assert_max_num_queries):
    for days in range(0, 200, 5):
        overdue(api, days, "1.00", CustomerFactory())

    with django_assert_max_num_queries(5):
        response = api.get(URL)

    assert len(response.json()["data"]["customers"]) == 40
