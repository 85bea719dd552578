from datetime import date
from decimal import Decimal

import pytest

from ledger.models import Transaction
from reporting.models import RollupMonth
from reporting.services import rollup_month_refresh
from tests.factories import CustomerFactory
from tests.ledger.factories import AccountFactory, CategoryFactory, TransactionFactory
from tests.ledger.helpers import dec
from webhooks.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def account():
    return AccountFactory(name="Checking")


@pytest.fixture
def income_category():
    return CategoryFactory(name="Consulting", type="Income")


@pytest.fixture
def expense_category():
    return CategoryFactory(name="Rent", type="Expense")


def body(account, category, **overrides):
    # The reference's "Record Transaction" body.
    return {
        "type": "Income",
        "account_id": account.pk,
        "amount": 1500.00,
        "category_id": category.pk,
        "description": "Website Development Payment",
        "date": "2024-01-15",
        **overrides,
    }


def test_record_transaction_with_the_reference_body(api, account, income_category):
    response = api.post("/api/v2/transactions", body(account, income_category), format="json")

    data = response.json()["data"]
    assert response.status_code == 201
    assert data["type"] == "Income"
    assert data["account_id"] == account.pk
    assert dec(data["amount"]) == Decimal("1500.00")
    assert data["category_id"] == income_category.pk
    assert data["description"] == "Website Development Payment"
    assert data["date"] == "2024-01-15"
    assert data["invoice_id"] is None
    assert data["transfer_group"] is None
    assert data["created_at"].endswith("Z")
    assert set(data) == {
        "id",
        "type",
        "account_id",
        "amount",
        "exchange_rate",
        "category_id",
        "description",
        "date",
        "invoice_id",
        "transfer_group",
        "transfer_direction",
        "voided_at",
        "created_at",
        "updated_at",
    }


def test_recording_publishes_transaction_created(api, account, income_category):
    response = api.post("/api/v2/transactions", body(account, income_category), format="json")

    event = Event.objects.get(type="transaction.created")
    assert event.data["id"] == response.json()["data"]["id"]
    assert event.data["amount"] == 1500.0


def test_recording_refreshes_the_month_roll_up(api, committed, account, income_category):
    committed(api.post, "/api/v2/transactions", body(account, income_category), format="json")

    assert RollupMonth.objects.get(month=date(2024, 1, 1)).income == Decimal("1500.00")


@pytest.mark.parametrize("amount", [0, -5, "0.00", "-0.01"])
def test_amount_must_be_greater_than_zero(api, account, income_category, amount):
    response = api.post(
        "/api/v2/transactions", body(account, income_category, amount=amount), format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"amount": "Amount must be greater than 0"}
    assert Transaction.objects.count() == 0
    assert Event.objects.count() == 0


def test_category_type_must_match_transaction_type(api, account, expense_category):
    response = api.post("/api/v2/transactions", body(account, expense_category), format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "category_id": "The category is an Expense category; "
        "a Income transaction needs an Income category."
    }
    assert Transaction.objects.count() == 0


def test_unknown_account_is_a_400_on_account_id(api, income_category):
    response = api.post(
        "/api/v2/transactions",
        {**body(AccountFactory.build(pk=999), income_category), "account_id": 999},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"account_id": "Account not found."}


def test_transfer_type_is_not_recorded_through_transactions(api, account, income_category):
    response = api.post(
        "/api/v2/transactions", body(account, income_category, type="Transfer"), format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"type": "Type must be Income or Expense."}


def test_category_is_optional(api, account):
    payload = body(account, CategoryFactory(), type="Expense")
    del payload["category_id"]

    response = api.post("/api/v2/transactions", payload, format="json")

    assert response.status_code == 201
    assert response.json()["data"]["category_id"] is None


def test_required_fields(api):
    response = api.post("/api/v2/transactions", {}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "type": "This field is required.",
        "account_id": "This field is required.",
        "amount": "This field is required.",
        "date": "This field is required.",
    }


def _ids(api, query):
    return sorted(row["id"] for row in api.get(f"/api/v2/transactions?{query}").json()["data"])


def test_filter_by_type(api):
    income = TransactionFactory(type="Income")
    TransactionFactory(type="Expense")

    assert _ids(api, "type=Income") == [income.pk]


def test_filter_by_account_and_category(api, account, income_category):
    mine = TransactionFactory(account=account, category=income_category)
    TransactionFactory(account=account)
    TransactionFactory(category=income_category)

    assert _ids(api, f"account_id={account.pk}&category_id={income_category.pk}") == [mine.pk]


def test_date_filters_are_inclusive(api):
    before = TransactionFactory(date=date(2024, 1, 9))
    first = TransactionFactory(date=date(2024, 1, 10))
    last = TransactionFactory(date=date(2024, 1, 20))
    after = TransactionFactory(date=date(2024, 1, 21))

    assert _ids(api, "date_from=2024-01-10&date_to=2024-01-20") == [first.pk, last.pk]
    assert before.pk not in _ids(api, "date_from=2024-01-10")
    assert after.pk not in _ids(api, "date_to=2024-01-20")


def test_filter_updated_since(api):
    old = TransactionFactory()
    Transaction.objects.filter(pk=old.pk).update(updated_at="2020-01-01T00:00:00Z")
    new = TransactionFactory()

    assert _ids(api, "updated_since=2021-01-01T00:00:00Z") == [new.pk]


def test_voided_transactions_are_not_listed(api):
    kept = TransactionFactory()
    TransactionFactory(voided_at="2024-02-01T00:00:00Z")

    assert _ids(api, "") == [kept.pk]


@pytest.mark.parametrize("size", [1, 40])
def test_list_query_count_is_constant(api, size, django_assert_max_num_queries):
    for _ in range(size):
        TransactionFactory(category=CategoryFactory())

    with django_assert_max_num_queries(6):
        response = api.get("/api/v2/transactions?limit=100")

    assert len(response.json()["data"]) == size


def test_patch_changes_only_the_given_fields(api, account, income_category):
    txn = TransactionFactory(account=account, category=income_category, amount=Decimal("10.00"))

    response = api.patch(f"/api/v2/transactions/{txn.pk}", {"amount": "12.34"}, format="json")

    assert response.status_code == 200
    assert dec(response.json()["data"]["amount"]) == Decimal("12.34")
    assert response.json()["data"]["category_id"] == income_category.pk
    assert response.json()["data"]["description"] == "Test transaction"


def test_patch_keeps_the_category_type_rule(api, income_category):
    txn = TransactionFactory(type="Income", category=income_category)

    response = api.patch(f"/api/v2/transactions/{txn.pk}", {"type": "Expense"}, format="json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"category_id"}
    txn.refresh_from_db()
    assert txn.type == "Income"


def test_moving_a_transaction_to_another_month_refreshes_both_months(
    api, committed, account, income_category
):
    created = committed(
        api.post, "/api/v2/transactions", body(account, income_category), format="json"
    )
    txn_id = created.json()["data"]["id"]

    committed(api.patch, f"/api/v2/transactions/{txn_id}", {"date": "2024-03-01"}, format="json")

    # January is left with no data, so its roll-up row is gone (an empty month has none).
    assert list(RollupMonth.objects.values_list("month", "income")) == [
        (date(2024, 3, 1), Decimal("1500.00"))
    ]


def test_put_replaces_the_transaction(api, account, expense_category):
    txn = TransactionFactory(account=account)

    response = api.put(
        f"/api/v2/transactions/{txn.pk}",
        body(account, expense_category, type="Expense", amount="7.00", date="2024-05-05"),
        format="json",
    )

    assert response.status_code == 200
    txn.refresh_from_db()
    assert (txn.type, txn.amount, txn.date) == ("Expense", Decimal("7.00"), date(2024, 5, 5))


def test_delete_transaction_refreshes_its_month(api, committed):
    txn = TransactionFactory(amount=Decimal("5.00"))
    rollup_month_refresh(month=date(2024, 1, 1))
    assert RollupMonth.objects.get(month=date(2024, 1, 1)).income == Decimal("5.00")

    response = committed(api.delete, f"/api/v2/transactions/{txn.pk}")

    assert response.status_code == 200
    assert not Transaction.objects.filter(pk=txn.pk).exists()
    assert not RollupMonth.objects.exists()  # the month has no data left: no row


def test_viewer_cannot_record_transactions(client_for, account, income_category):
    response = client_for("viewer").post(
        "/api/v2/transactions", body(account, income_category), format="json"
    )

    assert response.status_code == 403
    assert Transaction.objects.count() == 0


# --- transactions that belong to a payment -------------------------------------------------


@pytest.fixture
def paid_invoice(api, account):
    customer = CustomerFactory()
    invoice = api.post(
        "/api/v2/invoices",
        {
            "customer_id": customer.pk,
            "date": "2024-01-15",
            "due_date": "2024-02-15",
            "items": [{"description": "Web Development", "amount": 1500.00, "qty": 1}],
        },
        format="json",
    ).json()["data"]
    payment = api.post(
        f"/api/v2/invoices/{invoice['id']}/payments",
        {"amount": "600.00", "date": "2024-01-20", "account_id": account.pk},
        format="json",
    ).json()["data"]
    return invoice, payment


def _payment_txn(invoice):
    return Transaction.objects.get(payment__invoice_id=invoice["id"])


def test_payment_transaction_shows_its_invoice_id(api, paid_invoice):
    invoice, _ = paid_invoice
    txn = _payment_txn(invoice)

    listed = api.get("/api/v2/transactions").json()["data"]
    detail = api.get(f"/api/v2/transactions/{txn.pk}").json()["data"]

    assert [(row["id"], row["invoice_id"]) for row in listed] == [(txn.pk, invoice["id"])]
    assert detail["invoice_id"] == invoice["id"]
    assert dec(detail["amount"]) == Decimal("600.00")
    assert detail["type"] == "Income"


def test_payment_transaction_event_carries_invoice_id(paid_invoice):
    invoice, _ = paid_invoice

    event = Event.objects.get(type="transaction.created")

    assert event.data["invoice_id"] == invoice["id"]


def test_payment_transaction_cannot_be_changed_through_transactions(api, paid_invoice):
    txn = _payment_txn(paid_invoice[0])

    response = api.patch(f"/api/v2/transactions/{txn.pk}", {"amount": "1.00"}, format="json")

    assert response.status_code == 409
    assert response.json()["message"] == (
        "This transaction belongs to an invoice payment: change or void it through the payment."
    )
    txn.refresh_from_db()
    assert txn.amount == Decimal("600.00")


def test_payment_transaction_cannot_be_deleted_through_transactions(api, paid_invoice):
    txn = _payment_txn(paid_invoice[0])

    response = api.delete(f"/api/v2/transactions/{txn.pk}")

    assert response.status_code == 409
    assert Transaction.objects.filter(pk=txn.pk).exists()


def test_voided_payment_leaves_balances(api, account, paid_invoice):
    invoice, payment = paid_invoice
    before = api.get(f"/api/v2/accounts/{account.pk}").json()["data"]["balance"]

    api.post(f"/api/v2/invoices/{invoice['id']}/payments/{payment['id']}/void", format="json")

    after = api.get(f"/api/v2/accounts/{account.pk}").json()["data"]["balance"]
    assert (dec(before), dec(after)) == (Decimal("600.00"), Decimal("0.00"))
