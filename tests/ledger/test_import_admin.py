"""The transactions admin imports through TransactionResource: the preview lists bad rows and
fields (the API's messages), nothing is written until every row passes, then every row is
recorded by the ledger's service (one `transaction.created` event each)."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ledger.models import CategoryType, Transaction
from tests.ledger.factories import AccountFactory, CategoryFactory, TransactionFactory
from users.services import user_create
from webhooks.models import Event

pytestmark = pytest.mark.django_db

TRANSACTIONS = "/admin/ledger/transaction/"


@pytest.fixture
def staff_client(client):
    client.force_login(user_create(email="staff@example.com", password="pw-123456789"))
    return client


def _preview(client, text: str):
    upload = SimpleUploadedFile("transactions.csv", text.encode())
    return client.post(
        TRANSACTIONS + "import/", {"import_file": upload, "format": "0", "resource": "0"}
    )


def _confirm(client, preview):
    form = preview.context["confirm_form"]
    data = {name: form.initial.get(name, field.initial) for name, field in form.fields.items()}
    return client.post(TRANSACTIONS + "process_import/", data, follow=True)


def test_bad_rows_are_listed_and_nothing_is_written_then_a_good_file_imports(staff_client):
    account = AccountFactory()
    expense = CategoryFactory(type=CategoryType.EXPENSE)
    header = "type,account_id,amount,category_id,description,date"
    bad = (
        f"{header}\n"
        f"Income,{account.pk},100.00,,Sale,2024-03-01\n"
        f"Income,{account.pk},50.00,{expense.pk},Wrong category,2024-03-02\n"
        f"Expense,{account.pk},-5,,Refund,2024-03-03\n"
    )

    preview = _preview(staff_client, bad)

    assert [
        (r.number, r.field_specific_errors) for r in preview.context["result"].invalid_rows
    ] == [
        (4, {"amount": ["Amount must be greater than 0"]}),
    ]
    assert Transaction.objects.count() == 0

    fixed = bad.replace("-5,", "5,")
    second = _preview(staff_client, fixed)
    errors = [(r.number, r.field_specific_errors) for r in second.context["result"].invalid_rows]
    assert errors == [
        (
            3,
            {
                "category_id": [
                    "The category is an Expense category; a Income transaction needs an "
                    "Income category."
                ]
            },
        )
    ]
    assert Transaction.objects.count() == 0

    good = _preview(staff_client, fixed.replace(f",{expense.pk},Wrong", ",,Right"))
    _confirm(staff_client, good)

    assert list(
        Transaction.objects.order_by("date").values_list("type", "amount", "description")
    ) == [
        ("Income", Decimal("100.00"), "Sale"),
        ("Income", Decimal("50.00"), "Right category"),
        ("Expense", Decimal("5.00"), "Refund"),
    ]
    assert Event.objects.filter(type="transaction.created").count() == 3


def test_an_exported_file_imports_back(staff_client):
    TransactionFactory(description="Exported")
    form = staff_client.get(TRANSACTIONS + "export/").context["form"]
    data = {name: field.initial for name, field in form.fields.items() if field.initial is not None}
    exported = staff_client.post(TRANSACTIONS + "export/", {**data, "format": "0"})
    header = exported.content.decode().splitlines()[0]
    assert header == (
        "id,type,account_id,amount,exchange_rate,category_id,description,date,invoice_id,transfer_group,"
        "transfer_direction,voided_at,created_at,updated_at"
    )

    preview = _preview(staff_client, exported.content.decode())
    _confirm(staff_client, preview)

    assert list(Transaction.objects.values_list("description", flat=True)) == [
        "Exported",
        "Exported",
    ]
