"""The ledger's audit trail and closed books (issue #17): each write records one entry per row
with its actor and changes, in the write's transaction; a transaction write dated in closed
books is refused (409, or a message in the admin) from every door and changes nothing."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from audit.services import books_update
from ledger import services
from ledger.models import Account, Category, Transaction
from tests.factories import UserFactory
from tests.ledger.factories import AccountFactory, CategoryFactory, TransactionFactory
from users.models import Role
from webhooks.models import Event

pytestmark = pytest.mark.django_db

CLOSED = "The books are closed through 2024-03-31."


def entries(resource="transaction"):
    return list(
        AuditEvent.objects.filter(resource=resource)
        .order_by("pk")
        .values_list("actor_type", "actor_id", "action", "resource_id", "changes")
    )


def key_actor(api):
    return ("api_key", api.api_key.pk)


@pytest.fixture
def admin_user():
    return UserFactory(role=Role.ADMINISTRATOR)


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def account():
    return AccountFactory(name="Checking")


@pytest.fixture
def closed():
    books_update(closed_through=date(2024, 3, 31))


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- one entry per write, with its actor and changes ---------------------------------------


def test_api_create_records_one_entry_by_the_key(api, account):
    response = api.post(
        "/api/v2/transactions",
        {"type": "Income", "account_id": account.pk, "amount": "150.00", "date": "2024-04-02"},
        format="json",
    )

    txn_id = response.json()["data"]["id"]
    [(actor_type, actor_id, action, resource_id, changes)] = entries()
    assert (actor_type, actor_id) == key_actor(api)
    assert (action, resource_id) == ("transaction.created", str(txn_id))
    assert changes["amount"] == [None, 150.0]
    assert changes["date"] == [None, "2024-04-02"]
    assert changes["account_id"] == [None, account.pk]
    assert "created_at" in changes and "updated_at" not in changes


def test_api_update_records_only_what_changed(api, account):
    txn = TransactionFactory(account=account, amount=Decimal("100.00"), date=date(2024, 4, 2))

    api.patch(f"/api/v2/transactions/{txn.pk}", {"amount": "120.50"}, format="json")

    assert entries() == [
        (*key_actor(api), "transaction.updated", str(txn.pk), {"amount": [100.0, 120.5]})
    ]


def test_api_delete_records_the_values_removed(api, account):
    txn = TransactionFactory(account=account, amount=Decimal("100.00"), date=date(2024, 4, 2))

    api.delete(f"/api/v2/transactions/{txn.pk}")

    [(_, _, action, resource_id, changes)] = entries()
    assert (action, resource_id) == ("transaction.deleted", str(txn.pk))
    assert changes["amount"] == [100.0, None]
    assert changes["date"] == ["2024-04-02", None]


def test_a_transfer_records_one_entry_per_leg(api, account):
    savings = AccountFactory(name="Savings")

    response = api.post(
        "/api/v2/transfers",
        {
            "from_account_id": account.pk,
            "to_account_id": savings.pk,
            "amount": "20.00",
            "date": "2024-04-02",
        },
        format="json",
    )

    legs = [leg["id"] for leg in response.json()["data"]["transactions"]]
    recorded = entries()
    assert [(row[2], row[3]) for row in recorded] == [
        ("transaction.created", str(legs[0])),
        ("transaction.created", str(legs[1])),
    ]
    assert [row[4]["transfer_direction"] for row in recorded] == [[None, "out"], [None, "in"]]


def test_admin_create_records_one_entry_by_the_user(admin_client, admin_user, account):
    response = admin_client.post(
        "/admin/ledger/transaction/add/",
        {
            "type": "Expense",
            "account": account.pk,
            "amount": "12.50",
            "description": "Stamps",
            "date": "2024-04-02",
        },
    )

    assert response.status_code == 302
    [(actor_type, actor_id, action, _, changes)] = entries()
    assert (actor_type, actor_id, action) == ("user", admin_user.pk, "transaction.created")
    assert changes["description"] == [None, "Stamps"]


@pytest.mark.parametrize(
    ("path", "body", "resource", "action"),
    [
        ("/api/v2/accounts", {"name": "Cash", "currency": "EUR"}, "account", "account.created"),
        ("/api/v2/categories", {"name": "Rent", "type": "Expense"}, "category", "category.created"),
    ],
)
def test_accounts_and_categories_record_their_creation(api, path, body, resource, action):
    response = api.post(path, body, format="json")

    [(actor_type, actor_id, recorded, resource_id, changes)] = entries(resource)
    assert (actor_type, actor_id, recorded) == (*key_actor(api), action)
    assert resource_id == str(response.json()["data"]["id"])
    assert changes["name"] == [None, body["name"]]


def test_account_update_and_delete_are_recorded(api):
    account = AccountFactory(name="Old")

    api.patch(f"/api/v2/accounts/{account.pk}", {"name": "New"}, format="json")
    api.delete(f"/api/v2/accounts/{account.pk}")

    recorded = entries("account")
    assert [(row[2], row[4].get("name")) for row in recorded] == [
        ("account.updated", ["Old", "New"]),
        ("account.deleted", ["New", None]),
    ]


def test_category_update_and_delete_are_recorded(api):
    category = CategoryFactory(name="Old", type="Expense")

    api.patch(f"/api/v2/categories/{category.pk}", {"name": "New"}, format="json")
    api.delete(f"/api/v2/categories/{category.pk}")

    assert [(row[2], row[4]["name"]) for row in entries("category")] == [
        ("category.updated", ["Old", "New"]),
        ("category.deleted", ["New", None]),
    ]


# --- refused writes leave no entry -----------------------------------------------------------


def test_a_validation_error_records_nothing(api, account):
    category = CategoryFactory(type="Expense")

    response = api.post(
        "/api/v2/transactions",
        {
            "type": "Income",
            "account_id": account.pk,
            "amount": "1.00",
            "category_id": category.pk,
            "date": "2024-04-02",
        },
        format="json",
    )

    assert response.status_code == 400
    assert entries() == []


def test_a_refused_delete_records_nothing(api, account):
    TransactionFactory(account=account)

    response = api.delete(f"/api/v2/accounts/{account.pk}")

    assert response.status_code == 409
    assert entries("account") == []


# --- closed books: every money write in the closed period, from the API and the admin --------


API_REFUSALS = {
    "create": lambda api, account, txn: api.post(
        "/api/v2/transactions",
        {"type": "Income", "account_id": account.pk, "amount": "1.00", "date": "2024-03-31"},
        format="json",
    ),
    "update the amount of a closed one": lambda api, account, txn: api.patch(
        f"/api/v2/transactions/{txn.pk}", {"amount": "2.00"}, format="json"
    ),
    "move a closed one out": lambda api, account, txn: api.patch(
        f"/api/v2/transactions/{txn.pk}", {"date": "2024-04-15"}, format="json"
    ),
    "move an open one in": lambda api, account, txn: api.patch(
        f"/api/v2/transactions/{txn.open.pk}", {"date": "2024-03-01"}, format="json"
    ),
    "delete": lambda api, account, txn: api.delete(f"/api/v2/transactions/{txn.pk}"),
    "transfer": lambda api, account, txn: api.post(
        "/api/v2/transfers",
        {
            "from_account_id": account.pk,
            "to_account_id": AccountFactory().pk,
            "amount": "1.00",
            "date": "2024-01-31",
        },
        format="json",
    ),
    "delete a transfer": lambda api, account, txn: api.delete(
        f"/api/v2/transactions/{txn.closed_leg.pk}"
    ),
}


@pytest.fixture
def ledger_rows(account):
    """A transaction in the closed period, one after it, and a closed transfer (made before
    the books were closed)."""
    txn = TransactionFactory(account=account, amount=Decimal("100.00"), date=date(2024, 3, 15))
    txn.open = TransactionFactory(account=account, date=date(2024, 4, 10))
    savings = AccountFactory(name="Savings")
    txn.closed_leg = services.transfer_create(
        from_account=account, to_account=savings, amount=Decimal("5.00"), date=date(2024, 2, 1)
    )[0]
    return txn


def ledger_state():
    return (
        sorted(Transaction.objects.values_list("pk", "amount", "date", "account_id")),
        Event.objects.count(),
        AuditEvent.objects.filter(resource="transaction").count(),
    )


@pytest.mark.parametrize("write", list(API_REFUSALS))
def test_api_money_writes_in_closed_books_are_a_409_and_change_nothing(
    api, account, ledger_rows, write
):
    books_update(closed_through=date(2024, 3, 31))
    before = ledger_state()

    response = API_REFUSALS[write](api, account, ledger_rows)

    assert response.status_code == 409
    assert response.json() == {"success": False, "message": CLOSED}
    assert ledger_state() == before


def test_writes_after_the_closed_day_still_pass(api, account, closed):
    response = api.post(
        "/api/v2/transactions",
        {"type": "Income", "account_id": account.pk, "amount": "1.00", "date": "2024-04-01"},
        format="json",
    )

    assert response.status_code == 201


ADMIN_REFUSALS = {
    "create": lambda client, account, txn: client.post(
        "/admin/ledger/transaction/add/",
        {"type": "Income", "account": account.pk, "amount": "1.00", "date": "2024-03-31"},
    ),
    "update a closed one": lambda client, account, txn: client.post(
        f"/admin/ledger/transaction/{txn.pk}/change/",
        {"type": "Income", "account": account.pk, "amount": "2.00", "date": "2024-03-15"},
    ),
    "move an open one in": lambda client, account, txn: client.post(
        f"/admin/ledger/transaction/{txn.open.pk}/change/",
        {"type": "Income", "account": account.pk, "amount": "100.00", "date": "2024-03-01"},
    ),
    "delete": lambda client, account, txn: client.post(
        f"/admin/ledger/transaction/{txn.pk}/delete/", {"post": "yes"}
    ),
    "delete selected": lambda client, account, txn: client.post(
        "/admin/ledger/transaction/",
        {"action": "delete_selected", "_selected_action": [txn.open.pk, txn.pk], "post": "yes"},
    ),
    "delete a transfer leg": lambda client, account, txn: client.post(
        f"/admin/ledger/transaction/{txn.closed_leg.pk}/delete/", {"post": "yes"}
    ),
}


@pytest.mark.parametrize("write", list(ADMIN_REFUSALS))
def test_admin_money_writes_in_closed_books_show_the_message_and_change_nothing(
    admin_client, account, ledger_rows, write
):
    books_update(closed_through=date(2024, 3, 31))
    before = ledger_state()

    response = ADMIN_REFUSALS[write](admin_client, account, ledger_rows)

    assert response.status_code == 302
    assert messages_of(response) == [CLOSED]
    assert ledger_state() == before


def test_the_service_refuses_a_closed_date_before_writing(account, closed):
    with pytest.raises(Exception, match=CLOSED):
        services.transaction_create(
            type="Income", account=account, amount=Decimal("1.00"), date=date(2024, 1, 1)
        )

    assert Transaction.objects.count() == 0
    assert entries() == []


def test_accounts_and_categories_are_not_dated(api, closed):
    account = AccountFactory()

    response = api.patch(f"/api/v2/accounts/{account.pk}", {"name": "Renamed"}, format="json")

    assert response.status_code == 200
    assert Account.objects.get().name == "Renamed"
    assert Category.objects.count() == 0


# --- the audit entry costs one statement ---------------------------------------------------


def _statements(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)


def test_the_audit_entry_adds_one_statement_to_each_write(monkeypatch, account):
    txn = TransactionFactory(account=account, date=date(2024, 4, 2))
    other = TransactionFactory(account=account, date=date(2024, 4, 2))
    savings = AccountFactory()
    calls = {
        "create": lambda: services.transaction_create(
            type="Income", account=account, amount=Decimal("1.00"), date=date(2024, 4, 2)
        ),
        "update": lambda: services.transaction_update(txn=txn, amount=Decimal("3.00")),
        "transfer": lambda: services.transfer_create(
            from_account=account, to_account=savings, amount=Decimal("1.00"), date=date(2024, 4, 2)
        ),
    }
    calls["create"]()  # the first closed-books check of a test may fill the cache
    wired = {name: _statements(call) for name, call in calls.items()}
    wired["delete"] = _statements(lambda: services.transaction_delete(txn=txn))

    for name in ("audit_created", "audit_updated", "audit_deleted", "audit_record_many"):
        monkeypatch.setattr(services, name, lambda **kwargs: None)
    calls["update"] = lambda: services.transaction_update(txn=other, amount=Decimal("3.00"))
    unwired = {name: _statements(call) for name, call in calls.items()}
    unwired["delete"] = _statements(lambda: services.transaction_delete(txn=other))

    assert {name: wired[name] - unwired[name] for name in wired} == {
        "create": 1,
        "update": 1,
        "transfer": 1,
        "delete": 1,
    }


# --- the history panel ---------------------------------------------------------------------


def test_transaction_page_shows_its_history(api, admin_client, account):
    txn_id = api.post(
        "/api/v2/transactions",
        {"type": "Income", "account_id": account.pk, "amount": "1.00", "date": "2024-04-02"},
        format="json",
    ).json()["data"]["id"]
    api.patch(f"/api/v2/transactions/{txn_id}", {"amount": "2.00"}, format="json")

    page = admin_client.get(f"/admin/ledger/transaction/{txn_id}/change/").content.decode()

    assert "transaction.created" in page and "transaction.updated" in page
    assert f"?resource=transaction&amp;resource_id={txn_id}" in page
