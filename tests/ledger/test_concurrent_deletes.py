"""Of eight concurrent deletes of one row, one succeeds (and announces once) and the others
find nothing (404). PostgreSQL only: the row locks are what is tested."""

import pytest

from ledger.models import Account, Category, Transaction
from tests.concurrency import statuses_of_concurrent
from tests.ledger.factories import AccountFactory, CategoryFactory
from tests.markers import requires_postgres
from webhooks.models import Event

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]

ONE_WINNER = [200] + [404] * 7


def test_concurrent_deletes_of_an_account(api):
    account = AccountFactory()

    statuses = statuses_of_concurrent(api, "delete", f"/api/v2/accounts/{account.pk}")

    assert statuses == ONE_WINNER
    assert not Account.objects.filter(pk=account.pk).exists()


def test_concurrent_deletes_of_a_category(api):
    category = CategoryFactory()

    statuses = statuses_of_concurrent(api, "delete", f"/api/v2/categories/{category.pk}")

    assert statuses == ONE_WINNER
    assert not Category.objects.filter(pk=category.pk).exists()


def test_concurrent_deletes_of_a_transaction_announce_it_once(api):
    account = AccountFactory()
    txn = api.post(
        "/api/v2/transactions",
        {"type": "Income", "account_id": account.pk, "amount": "10.00", "date": "2024-01-05"},
        format="json",
    ).json()["data"]

    statuses = statuses_of_concurrent(api, "delete", f"/api/v2/transactions/{txn['id']}")

    assert statuses == ONE_WINNER
    deleted = Event.objects.filter(type="transaction.deleted")
    assert [event.data["id"] for event in deleted] == [txn["id"]]


def test_concurrent_deletes_of_both_legs_of_a_transfer_delete_it_once(api):
    source, target = AccountFactory(), AccountFactory()
    legs = api.post(
        "/api/v2/transfers",
        {
            "from_account_id": source.pk,
            "to_account_id": target.pk,
            "amount": "10.00",
            "date": "2024-01-05",
        },
        format="json",
    ).json()["data"]["transactions"]
    out_leg, in_leg = (leg["id"] for leg in legs)

    # Four threads delete the out leg and four the in leg: one transfer, one winner, and
    # no deadlock (both legs are locked in id order whichever leg was asked for).
    paths = [f"/api/v2/transactions/{(out_leg, in_leg)[i % 2]}" for i in range(8)]
    statuses = statuses_of_concurrent(api, "delete", paths)

    assert statuses == ONE_WINNER
    deleted = Event.objects.filter(type="transaction.deleted")
    assert sorted(event.data["id"] for event in deleted) == [out_leg, in_leg]
    assert not Transaction.objects.exists()
