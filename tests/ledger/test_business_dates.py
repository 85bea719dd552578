"""Every ledger date lies in the business date window: 9999-12-31 and 0001-01-01 (the dates
that broke the roll-ups) are a 400 with one sentence, and nothing is written."""

import pytest

from ledger.models import Transaction
from reporting.models import RollupMonth
from tests.factories import UserFactory
from tests.ledger.factories import AccountFactory, TransactionFactory
from users.models import Role
from webhooks.models import Event

pytestmark = pytest.mark.django_db

OUT_OF_WINDOW = ["9999-12-31", "0001-01-01", "1899-12-31", "2200-01-01"]
SENTENCE = "Date must be between 1900-01-01 and 2199-12-31."


def snapshot():
    return (
        list(Transaction.objects.values_list("pk", "date", "amount").order_by("pk")),
        Event.objects.count(),
        RollupMonth.objects.count(),
    )


@pytest.mark.parametrize("value", OUT_OF_WINDOW)
def test_transaction_create_refuses_a_date_out_of_window(api, value):
    account = AccountFactory()
    before = snapshot()

    response = api.post(
        "/api/v2/transactions",
        {"type": "Income", "account_id": account.pk, "amount": "10.00", "date": value},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"date": SENTENCE}
    assert snapshot() == before


@pytest.mark.parametrize("value", OUT_OF_WINDOW)
def test_transaction_update_refuses_a_date_out_of_window(api, value):
    txn = TransactionFactory()
    before = snapshot()

    response = api.patch(f"/api/v2/transactions/{txn.pk}", {"date": value}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"date": SENTENCE}
    assert snapshot() == before


@pytest.mark.parametrize("value", OUT_OF_WINDOW)
def test_transfer_refuses_a_date_out_of_window(api, value):
    source, target = AccountFactory(), AccountFactory()
    before = snapshot()

    response = api.post(
        "/api/v2/transfers",
        {
            "from_account_id": source.pk,
            "to_account_id": target.pk,
            "amount": "10.00",
            "date": value,
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"date": SENTENCE}
    assert snapshot() == before


@pytest.mark.parametrize("name", ["date_from", "date_to"])
@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01"])
def test_transaction_date_filters_refuse_dates_out_of_window(api, name, value):
    response = api.get(f"/api/v2/transactions?{name}={value}")

    assert response.status_code == 400
    assert response.json()["errors"] == {name: SENTENCE}


def test_admin_refuses_a_date_out_of_window(client):
    client.force_login(UserFactory(role=Role.ADMINISTRATOR))
    account = AccountFactory()

    response = client.post(
        "/admin/ledger/transaction/add/",
        {"type": "Expense", "account": account.pk, "amount": "1.00", "date": "1899-12-31"},
        follow=True,
    )

    assert [str(m) for m in response.context["messages"]] == [f"date: {SENTENCE}"]
    assert Transaction.objects.count() == 0
