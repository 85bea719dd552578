"""`POST /api/v2/import/customers` (contract section 14): a CSV file, all rows or none."""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from customers.models import Customer
from tests.factories import CustomerFactory
from webhooks.models import Event

pytestmark = pytest.mark.django_db

URL = "/api/v2/import/customers"


def _csv(rows: list[list[str]], header=("account", "email", "phone")) -> bytes:
    lines = [",".join(header)] + [",".join(row) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _customers(n: int, start: int = 0) -> list[list[str]]:
    return [[f"Customer {i}", f"c{i}@example.com", f"555-{i:04d}"] for i in range(start, start + n)]


def _post(client, content: bytes, **fields):
    upload = SimpleUploadedFile("customers.csv", content, content_type="text/csv")
    return client.post(URL, {"file": upload, **fields}, format="multipart")


def test_import_creates_every_row_with_its_event(api):
    response = _post(api, _csv(_customers(3)), dry_run="false")

    assert response.status_code == 201
    assert response.json() == {
        "success": True,
        "data": {"dry_run": False, "would_create": 3, "created": 3},
    }
    assert list(Customer.objects.order_by("id").values_list("account", "email", "phone")) == [
        ("Customer 0", "c0@example.com", "555-0000"),
        ("Customer 1", "c1@example.com", "555-0001"),
        ("Customer 2", "c2@example.com", "555-0002"),
    ]
    assert Event.objects.filter(type="customer.created").count() == 3


def test_dry_run_writes_nothing_and_reports_what_it_would_create(api):
    response = _post(api, _csv(_customers(48)), dry_run="true")

    assert response.status_code == 200
    assert response.json()["data"] == {"dry_run": True, "would_create": 48, "created": 0}
    assert Customer.objects.count() == 0
    assert Event.objects.count() == 0


def test_bad_row_answers_rows_n_field_with_the_json_apis_message(api):
    rows = _customers(5)
    rows[3][1] = "not-an-email"
    json_answer = api.post(URL.replace("import/", ""), {"account": "X", "email": "not-an-email"})

    response = _post(api, _csv(rows))

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "message": "Validation failed",
        "errors": {"rows.3.email": json_answer.json()["errors"]["email"]},
    }
    assert json_answer.json()["errors"]["email"] == "Invalid email format"
    assert Customer.objects.count() == 0
    assert Event.objects.count() == 0


def test_every_bad_field_is_reported(api):
    rows = _customers(4)
    rows[0][0] = ""
    rows[2][1] = "nope"
    rows[3][1] = "also nope"

    response = _post(api, _csv(rows), dry_run="true")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "rows.0.account": "This field is required.",
        "rows.2.email": "Invalid email format",
        "rows.3.email": "Invalid email format",
    }


def test_emails_taken_or_repeated_are_reported_per_row(api):
    CustomerFactory(email="taken@example.com")
    rows = _customers(4)
    rows[1][1] = "TAKEN@example.com"
    rows[3][1] = rows[2][1]

    response = _post(api, _csv(rows), dry_run="true")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "rows.1.email": "A customer with this email already exists.",
        "rows.3.email": "Duplicate of rows.2.email in this file.",
    }
    assert Customer.objects.count() == 1


def test_exported_csv_imports_back(api):
    CustomerFactory(account="Old", email="old@example.com", country="NZ")
    exported = b"".join(api.get("/api/v2/customers?format=csv").streaming_content)
    Customer.objects.all().delete()

    response = _post(api, exported)

    assert response.status_code == 201
    assert list(Customer.objects.values_list("account", "email", "country")) == [
        ("Old", "old@example.com", "NZ")
    ]


def test_unknown_column_is_refused(api):
    response = _post(api, _csv(_customers(1), header=("account", "emial", "phone")))

    assert response.status_code == 400
    assert response.json()["errors"]["file"].startswith("Unknown column(s): emial.")
    assert Customer.objects.count() == 0


def test_missing_required_column_is_refused(api):
    response = _post(api, b"account\nAcme\n")

    assert response.status_code == 400
    assert response.json()["errors"] == {"file": "Missing column(s): email."}


def test_ten_thousand_rows_import_in_one_request(api):
    content = _csv(_customers(10_000))

    started = time.monotonic()
    response = _post(api, content)
    elapsed = time.monotonic() - started

    assert response.status_code == 201, response.content[:500]
    assert response.json()["data"] == {"dry_run": False, "would_create": 10_000, "created": 10_000}
    assert Customer.objects.count() == 10_000
    assert Event.objects.filter(type="customer.created").count() == 10_000
    print(f"10,000-row customer import: {elapsed:.2f}s")


def test_more_than_ten_thousand_rows_is_a_400(api):
    response = _post(api, _csv(_customers(10_001)))

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "file": "A file holds at most 10000 rows; this one has 10001."
    }
    assert Customer.objects.count() == 0


def test_non_utf8_file_is_a_400(api):
    content = "account,email\nCafé Müller,cafe@example.com\n".encode("latin-1")

    response = _post(api, content)

    assert response.status_code == 400
    assert response.json()["errors"] == {"file": "The file must be CSV encoded as UTF-8."}
    assert Customer.objects.count() == 0


def test_utf8_with_byte_order_mark_is_read(api):
    content = "account,email\nCafé Müller,cafe@example.com\n".encode("utf-8-sig")

    response = _post(api, content)

    assert response.status_code == 201
    assert Customer.objects.get().account == "Café Müller"


def test_dry_run_must_be_true_or_false(api):
    response = _post(api, _csv(_customers(1)), dry_run="yes")

    assert response.status_code == 400
    assert response.json()["errors"] == {"dry_run": "Use true or false."}
    assert Customer.objects.count() == 0


def test_missing_file_is_a_400(api):
    response = api.post(URL, {"dry_run": "true"}, format="multipart")

    assert response.status_code == 400
    assert response.json()["errors"] == {"file": "Send the CSV file in the multipart field `file`."}


def test_empty_file_is_a_400(api):
    response = _post(api, b"")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "file": "The file is empty: the first row must name the columns."
    }


def test_row_with_wrong_cell_count_is_reported(api):
    response = _post(api, b"account,email\nAcme,a@example.com,extra\n")

    assert response.status_code == 400
    assert response.json()["errors"] == {"rows.0": "The row has 3 cells; the header has 2."}


def test_staff_may_import(client_for):
    response = _post(client_for("staff"), _csv(_customers(2)))

    assert response.status_code == 201
    assert Customer.objects.count() == 2


def test_viewers_may_not_import(client_for):
    response = _post(client_for("viewer"), _csv(_customers(2)))

    assert response.status_code == 403
    assert Customer.objects.count() == 0


def test_a_json_body_is_told_to_send_multipart(api):
    response = api.post(URL, {"file": "account,email"}, format="json")

    assert response.status_code == 415
    assert response.json()["message"].startswith("Send the CSV as multipart/form-data")
