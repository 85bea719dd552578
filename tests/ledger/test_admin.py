from datetime import date
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages

from ledger.models import Account, Category, Transaction
from tests.factories import UserFactory
from tests.ledger.factories import AccountFactory, CategoryFactory, TransactionFactory
from tests.reporting.billing_helpers import invoice_create, payment_record
from users.models import Role
from webhooks.models import Event

pytestmark = pytest.mark.django_db


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(role=Role.ADMINISTRATOR))
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/admin/ledger/account/",
        "/admin/ledger/account/add/",
        "/admin/ledger/category/",
        "/admin/ledger/category/add/",
        "/admin/ledger/transaction/",
        "/admin/ledger/transaction/add/",
        "/admin/ledger/transaction/?date__year=2024&date__month=1",
        "/admin/ledger/transaction/?type__exact=Income&voided_at__isnull=True",
    ],
)
def test_ledger_admin_pages_render(admin_client, url):
    TransactionFactory(category=CategoryFactory())

    response = admin_client.get(url)

    assert response.status_code == 200


def test_account_changelist_shows_balances(admin_client):
    account = AccountFactory(name="Operating", opening_balance=Decimal("100.00"))
    TransactionFactory(account=account, type="Expense", amount=Decimal("30.45"))

    response = admin_client.get("/admin/ledger/account/")

    assert response.context["cl"].result_list[0].balance == Decimal("69.55")
    assert "69.55" in response.content.decode()


def test_transaction_changelist_has_a_date_hierarchy(admin_client):
    TransactionFactory(date=date(2024, 1, 15))

    response = admin_client.get("/admin/ledger/transaction/")

    assert response.context["cl"].date_hierarchy == "date"
    assert "date__year=2024" in response.content.decode()


def test_adding_a_transaction_in_the_admin_goes_through_the_service(admin_client):
    account = AccountFactory()
    category = CategoryFactory(type="Expense")

    response = admin_client.post(
        "/admin/ledger/transaction/add/",
        {
            "type": "Expense",
            "account": account.pk,
            "amount": "12.50",
            "category": category.pk,
            "description": "Stamps",
            "date": "2024-01-15",
        },
    )

    assert response.status_code == 302
    txn = Transaction.objects.get()
    assert (txn.amount, txn.description) == (Decimal("12.50"), "Stamps")
    assert Event.objects.filter(type="transaction.created").count() == 1


def test_admin_shows_the_category_type_rule_on_the_form(admin_client):
    account = AccountFactory()
    category = CategoryFactory(type="Expense")

    response = admin_client.post(
        "/admin/ledger/transaction/add/",
        {
            "type": "Income",
            "account": account.pk,
            "amount": "1.00",
            "category": category.pk,
            "date": "2024-01-15",
        },
    )

    # The service refuses; the admin shows its sentence on the page and writes nothing.
    assert response.status_code == 302
    assert messages_of(response) == [
        "category_id: The category is an Expense category; "
        "a Income transaction needs an Income category."
    ]
    assert Transaction.objects.count() == 0


def test_payment_transactions_are_read_only_in_the_admin(admin_client, api):
    account = AccountFactory()
    invoice = invoice_create(api, amount="10.00", day=date(2024, 1, 1))
    payment_record(api, invoice=invoice, amount="10.00", day=date(2024, 1, 2), account=account)
    txn = Transaction.objects.get()

    page = admin_client.get(f"/admin/ledger/transaction/{txn.pk}/change/")
    post = admin_client.post(
        f"/admin/ledger/transaction/{txn.pk}/change/",
        {"type": "Income", "account": account.pk, "amount": "1.00", "date": "2024-01-02"},
    )
    delete = admin_client.post(f"/admin/ledger/transaction/{txn.pk}/delete/", {"post": "yes"})

    assert page.status_code == 200
    assert "amount" not in page.context["adminform"].form.fields  # shown read-only
    assert post.status_code == delete.status_code == 302
    owned = "This transaction belongs to an invoice payment: change or void it through the payment."
    assert messages_of(post) == [owned]
    assert messages_of(delete)[-1] == owned  # (the post's message is still unread)
    txn.refresh_from_db()
    assert txn.amount == Decimal("10.00")


def test_account_in_use_cannot_be_deleted_in_the_admin(admin_client):
    account = AccountFactory()
    TransactionFactory(account=account)

    response = admin_client.post(f"/admin/ledger/account/{account.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert messages_of(response) == ["This account has transactions and cannot be deleted."]
    assert Account.objects.filter(pk=account.pk).exists()


def test_unused_category_is_deleted_in_the_admin(admin_client):
    category = CategoryFactory()

    response = admin_client.post(f"/admin/ledger/category/{category.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Category.objects.filter(pk=category.pk).exists()


def test_bulk_delete_goes_through_the_service_row_by_row(admin_client, api):
    account = AccountFactory()
    ids = [
        api.post(
            "/api/v2/transactions",
            {"type": "Income", "account_id": account.pk, "amount": amount, "date": "2024-01-05"},
            format="json",
        ).json()["data"]["id"]
        for amount in ("1.00", "2.00")
    ]

    response = admin_client.post(
        "/admin/ledger/transaction/",
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )

    assert response.status_code == 302
    assert not Transaction.objects.exists()
    deleted = Event.objects.filter(type="transaction.deleted")
    assert sorted(event.data["id"] for event in deleted) == sorted(ids)


def test_bulk_delete_with_a_refused_row_deletes_nothing(admin_client):
    unused, used = CategoryFactory(), CategoryFactory()
    TransactionFactory(category=used)

    response = admin_client.post(
        "/admin/ledger/category/",
        {"action": "delete_selected", "_selected_action": [unused.pk, used.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert messages_of(response) == ["This category is used by transactions and cannot be deleted."]
    assert Category.objects.count() == 2
