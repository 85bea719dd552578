from decimal import Decimal

import pytest

from ledger.models import Transaction
from tests.ledger.factories import AccountFactory
from tests.ledger.helpers import dec
from webhooks.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def checking():
    return AccountFactory(name="Checking", opening_balance=Decimal("500.00"))


@pytest.fixture
def savings():
    return AccountFactory(name="Savings", opening_balance=Decimal("0.00"))


def transfer(api, source, target, amount="120.25", **extra):
    return api.post(
        "/api/v2/transfers",
        {
            "from_account_id": source.pk,
            "to_account_id": target.pk,
            "amount": amount,
            "date": "2024-03-31",
            "description": "Move to savings",
            **extra,
        },
        format="json",
    )


def balance(api, account) -> Decimal:
    return dec(api.get(f"/api/v2/accounts/{account.pk}").json()["data"]["balance"])


def test_transfer_creates_an_out_and_an_in_leg(api, checking, savings):
    response = transfer(api, checking, savings)

    data = response.json()["data"]
    assert response.status_code == 201
    assert (data["from_account_id"], data["to_account_id"]) == (checking.pk, savings.pk)
    assert dec(data["amount"]) == Decimal("120.25")
    assert data["date"] == "2024-03-31"
    legs = data["transactions"]
    assert [(leg["account_id"], leg["type"], leg["transfer_direction"]) for leg in legs] == [
        (checking.pk, "Transfer", "out"),
        (savings.pk, "Transfer", "in"),
    ]
    assert {leg["transfer_group"] for leg in legs} == {data["transfer_group"]}
    assert Event.objects.filter(type="transaction.created").count() == 2


def test_transfer_moves_both_balances(api, checking, savings):
    transfer(api, checking, savings)

    assert (balance(api, checking), balance(api, savings)) == (
        Decimal("379.75"),
        Decimal("120.25"),
    )


def test_transfer_is_neither_income_nor_expense(api, committed, checking, savings):
    committed(transfer, api, checking, savings)

    report = api.get("/api/v2/reports/financial?year=2024&month=3").json()["data"]

    assert (report["income"], report["expenses"]) == (0, 0)


def test_transfer_legs_are_listed_and_filterable(api, checking, savings):
    transfer(api, checking, savings)

    data = api.get("/api/v2/transactions?type=Transfer").json()["data"]

    assert sorted(row["account_id"] for row in data) == sorted([checking.pk, savings.pk])


def test_transfer_to_the_same_account_is_refused(api, checking):
    response = transfer(api, checking, checking)

    assert response.status_code == 400
    assert response.json()["errors"] == {"to_account_id": "Choose two different accounts."}
    assert Transaction.objects.count() == 0


def test_transfer_between_currencies_is_refused(api, checking):
    euros = AccountFactory(currency="EUR")

    response = transfer(api, checking, euros)

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "to_account_id": "Both accounts must use the same currency."
    }
    assert Transaction.objects.count() == 0


def test_transfer_amount_must_be_positive(api, checking, savings):
    response = transfer(api, checking, savings, amount="0")

    assert response.status_code == 400
    assert response.json()["errors"] == {"amount": "Amount must be greater than 0"}
    assert Transaction.objects.count() == 0


def test_transfer_leg_cannot_be_edited_alone(api, checking, savings):
    leg_id = transfer(api, checking, savings).json()["data"]["transactions"][0]["id"]

    response = api.patch(f"/api/v2/transactions/{leg_id}", {"amount": "1.00"}, format="json")

    assert response.status_code == 409
    assert Transaction.objects.get(pk=leg_id).amount == Decimal("120.25")


def test_deleting_one_leg_deletes_the_transfer(api, checking, savings):
    leg_id = transfer(api, checking, savings).json()["data"]["transactions"][1]["id"]

    response = api.delete(f"/api/v2/transactions/{leg_id}")

    assert response.status_code == 200
    assert Transaction.objects.count() == 0
    assert (balance(api, checking), balance(api, savings)) == (Decimal("500.00"), Decimal("0"))


def test_get_on_transfers_is_not_allowed(api):
    assert api.get("/api/v2/transfers").status_code == 405
