from datetime import date
from decimal import Decimal

import pytest

from core.currencies import CURRENCY_INVALID
from ledger import services
from ledger.models import Account
from tests.ledger.factories import AccountFactory, TransactionFactory
from tests.ledger.helpers import dec

pytestmark = pytest.mark.django_db


def test_create_account_starts_at_its_opening_balance(api):
    response = api.post(
        "/api/v2/accounts",
        {"name": "Checking", "currency": "USD", "opening_balance": "1000.50"},
        format="json",
    )

    data = response.json()["data"]
    assert response.status_code == 201
    assert data["name"] == "Checking"
    assert data["currency"] == "USD"
    assert dec(data["opening_balance"]) == Decimal("1000.50")
    assert dec(data["balance"]) == Decimal("1000.50")
    assert set(data) == {
        "id",
        "name",
        "currency",
        "opening_balance",
        "balance",
        "created_at",
        "updated_at",
    }


def test_currency_must_be_a_three_letter_code(api):
    response = api.post("/api/v2/accounts", {"name": "X", "currency": "dollars"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"currency": CURRENCY_INVALID}
    assert Account.objects.count() == 0


def test_balance_is_opening_plus_income_minus_expenses_plus_transfers_without_voided(api):
    account = AccountFactory(opening_balance=Decimal("100.00"))
    other = AccountFactory()
    TransactionFactory(account=account, type="Income", amount=Decimal("250.10"))
    TransactionFactory(account=account, type="Expense", amount=Decimal("40.05"))
    TransactionFactory(
        account=account, type="Income", amount=Decimal("999.99"), voided_at="2024-02-01T00:00Z"
    )
    services.transfer_create(
        from_account=account, to_account=other, amount=Decimal("10.00"), date=date(2024, 1, 2)
    )
    services.transfer_create(
        from_account=other, to_account=account, amount=Decimal("0.01"), date=date(2024, 1, 3)
    )

    response = api.get(f"/api/v2/accounts/{account.pk}")

    # 100.00 + 250.10 − 40.05 − 10.00 + 0.01
    assert dec(response.json()["data"]["balance"]) == Decimal("300.06")
    other_balance = api.get(f"/api/v2/accounts/{other.pk}").json()["data"]["balance"]
    assert dec(other_balance) == Decimal("9.99")


def test_balance_is_not_writable(api):
    account = AccountFactory(opening_balance=Decimal("5.00"))

    api.patch(f"/api/v2/accounts/{account.pk}", {"balance": "999"}, format="json")

    assert dec(api.get(f"/api/v2/accounts/{account.pk}").json()["data"]["balance"]) == Decimal(
        "5.00"
    )


def test_changing_opening_balance_moves_the_balance(api):
    account = AccountFactory(opening_balance=Decimal("5.00"))
    TransactionFactory(account=account, type="Expense", amount=Decimal("2.50"))

    response = api.patch(
        f"/api/v2/accounts/{account.pk}", {"opening_balance": "10.00"}, format="json"
    )

    assert response.status_code == 200
    assert dec(response.json()["data"]["balance"]) == Decimal("7.50")


@pytest.mark.parametrize("size", [1, 30])
def test_account_list_query_count_is_constant(api, size, django_assert_max_num_queries):
    for _ in range(size):
        account = AccountFactory()
        TransactionFactory(account=account)

    with django_assert_max_num_queries(6):
        response = api.get("/api/v2/accounts?limit=100")

    assert len(response.json()["data"]) == size


def test_list_shows_each_balance(api):
    first = AccountFactory(opening_balance=Decimal("1.00"))
    second = AccountFactory(opening_balance=Decimal("2.00"))
    TransactionFactory(account=second, type="Income", amount=Decimal("3.33"))

    data = api.get("/api/v2/accounts").json()["data"]

    assert [(row["id"], dec(row["balance"])) for row in data] == [
        (first.pk, Decimal("1.00")),
        (second.pk, Decimal("5.33")),
    ]


def test_unused_account_can_be_deleted(api):
    account = AccountFactory()

    response = api.delete(f"/api/v2/accounts/{account.pk}")

    assert response.status_code == 200
    assert response.json() == {"success": True, "data": None}
    assert not Account.objects.filter(pk=account.pk).exists()


def test_account_in_use_cannot_be_deleted(api):
    account = AccountFactory()
    TransactionFactory(account=account)

    response = api.delete(f"/api/v2/accounts/{account.pk}")

    assert response.status_code == 409
    assert response.json() == {
        "success": False,
        "message": "This account has transactions and cannot be deleted.",
    }
    assert Account.objects.filter(pk=account.pk).exists()


def test_currency_of_account_in_use_cannot_change(api):
    account = AccountFactory(currency="USD")
    TransactionFactory(account=account)

    response = api.patch(f"/api/v2/accounts/{account.pk}", {"currency": "EUR"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "currency": "The currency of an account with transactions cannot change."
    }
    account.refresh_from_db()
    assert account.currency == "USD"


def test_viewer_can_read_but_not_create_accounts(client_for):
    viewer = client_for("viewer")
    AccountFactory()

    assert viewer.get("/api/v2/accounts").status_code == 200
    assert viewer.post("/api/v2/accounts", {"name": "No"}, format="json").status_code == 403
    assert Account.objects.count() == 1
