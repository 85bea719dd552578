"""The customers admin imports CSV/XLSX through the same resource and batch service as the API:
a preview lists every bad row and field and writes nothing; a clean file imports all rows."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from customers.models import Customer
from tests.billing.factories import make_invoice
from tests.factories import CustomerFactory
from users.models import Role
from users.services import user_create
from webhooks.models import Event

pytestmark = pytest.mark.django_db

CUSTOMERS = "/admin/customers/customer/"
CSV_FORMAT = "0"
XLSX_FORMAT = "1"


def _role_user(role: str):
    # Through the service, which puts the user in the role's admin group.
    return user_create(email=f"{role}@example.com", password="pw-123456789", role=role)


@pytest.fixture
def staff_client(client):
    client.force_login(_role_user(Role.STAFF))
    return client


def _rows(n: int) -> list[list[str]]:
    return [[f"Customer {i}", f"c{i}@example.com", "NZ"] for i in range(n)]


def _csv(rows) -> bytes:
    lines = ["account,email,country"] + [",".join(row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def _preview(client, content: bytes, name="customers.csv", file_format=CSV_FORMAT):
    upload = SimpleUploadedFile(name, content)
    return client.post(
        CUSTOMERS + "import/", {"import_file": upload, "format": file_format, "resource": "0"}
    )


def _confirm(client, preview):
    form = preview.context["confirm_form"]
    data = {name: form.initial.get(name, field.initial) for name, field in form.fields.items()}
    return client.post(CUSTOMERS + "process_import/", data, follow=True)


def test_preview_lists_both_bad_rows_and_writes_nothing_then_the_fixed_file_imports(
    staff_client,
):
    rows = _rows(50)
    rows[7][1] = "not-an-email"
    rows[31][0] = ""

    preview = _preview(staff_client, _csv(rows))

    assert preview.status_code == 200
    result = preview.context["result"]
    invalid = {row.number: row.field_specific_errors for row in result.invalid_rows}
    # Rows as a spreadsheet numbers them: the header is row 1, data row 7 is row 9.
    assert invalid == {
        9: {"email": ["Invalid email format"]},
        33: {"account": ["This field is required."]},
    }
    assert preview.context.get("confirm_form") is None
    page = preview.content.decode()
    assert "Invalid email format" in page and "This field is required." in page
    assert Customer.objects.count() == 0

    rows[7][1] = "c7@example.com"
    rows[31][0] = "Customer 31"
    fixed = _preview(staff_client, _csv(rows))
    assert not fixed.context["result"].invalid_rows
    assert Customer.objects.count() == 0  # the preview of a good file writes nothing either

    done = _confirm(staff_client, fixed)

    assert done.status_code == 200
    assert Customer.objects.count() == 50
    assert Event.objects.filter(type="customer.created").count() == 50
    assert Customer.objects.get(email="c31@example.com").account == "Customer 31"


def test_taken_email_is_listed_in_the_preview(staff_client):
    CustomerFactory(email="c1@example.com")

    preview = _preview(staff_client, _csv(_rows(3)))

    result = preview.context["result"]
    assert [(r.number, r.field_specific_errors) for r in result.invalid_rows] == [
        (3, {"email": ["A customer with this email already exists."]})
    ]
    assert Customer.objects.count() == 1


def test_xlsx_imports(staff_client):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["account", "email", "zip"])
    sheet.append(["Xl One", "x1@example.com", 8011])
    sheet.append(["Xl Two", "x2@example.com", None])
    buffer = io.BytesIO()
    book.save(buffer)

    preview = _preview(staff_client, buffer.getvalue(), "customers.xlsx", XLSX_FORMAT)
    assert not preview.context["result"].invalid_rows
    _confirm(staff_client, preview)

    assert list(Customer.objects.order_by("id").values_list("account", "zip")) == [
        ("Xl One", "8011"),
        ("Xl Two", ""),
    ]


def test_viewers_cannot_import(client):
    client.force_login(_role_user(Role.VIEWER))

    response = _preview(client, _csv(_rows(2)))

    assert response.status_code == 403
    assert Customer.objects.count() == 0


def test_export_button_downloads_the_apis_columns(staff_client):
    customer = CustomerFactory(account="Acme", email="acme@example.com", country="NZ")
    form = staff_client.get(CUSTOMERS + "export/").context["form"]
    data = {name: field.initial for name, field in form.fields.items() if field.initial is not None}

    response = staff_client.post(CUSTOMERS + "export/", {**data, "format": CSV_FORMAT})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0] == (
        "id,account,email,phone,address,city,state,zip,country,reminders_enabled,"
        "currency,credit_balance,created_at,updated_at"
    )
    assert lines[1].startswith(f"{customer.pk},Acme,acme@example.com,")
    assert len(lines) == 2


def test_every_changelist_has_the_export_actions(staff_client):
    make_invoice()

    page = staff_client.get("/admin/billing/invoice/").content.decode()

    assert 'value="export_csv"' in page
    assert 'value="export_xlsx"' in page


def test_export_action_on_a_list_without_a_resource_downloads_its_rows(staff_client):
    invoice = make_invoice()

    response = staff_client.post(
        "/admin/billing/invoice/", {"action": "export_xlsx", "_selected_action": [invoice.pk]}
    )

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="invoices.xlsx"'
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.values)
    assert "invoice_number" in rows[0]
    assert rows[1][rows[0].index("invoice_number")] == invoice.invoice_number


def test_export_action_leaves_secrets_out(client):
    from tests.factories import make_api_key

    client.force_login(_role_user(Role.ADMINISTRATOR))
    key, _ = make_api_key()

    response = client.post(
        "/admin/users/apikey/", {"action": "export_csv", "_selected_action": [key.pk]}
    )

    header = response.content.decode().splitlines()[0].split(",")
    assert "prefix" in header
    assert not {"key_hash", "signing_secret"} & set(header)
