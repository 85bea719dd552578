"""CSV on list endpoints (contract section 14): every matching row, streamed, the JSON's
columns."""

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.csv_export import CsvListMixin
from api.urls import router
from tests.billing.factories import item, make_invoice
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

CUSTOMER_COLUMNS = [
    "id",
    "account",
    "email",
    "phone",
    "address",
    "city",
    "state",
    "zip",
    "country",
    "reminders_enabled",
    "currency",
    "credit_balance",
    "created_at",
    "updated_at",
]


def _csv(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.DictReader(io.StringIO(body)))


def _header(response) -> list[str]:
    body = b"".join(response.streaming_content).decode("utf-8")
    return next(csv.reader(io.StringIO(body)))


def test_filtered_list_returns_every_matching_row_across_pages(api):
    CustomerFactory.create_batch(45, country="NZ")
    CustomerFactory.create_batch(5, country="AU")

    response = api.get("/api/v2/customers?country=NZ&format=csv&limit=10&page=2")

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="customers.csv"'
    rows = _csv(response)
    assert len(rows) == 45
    assert {row["country"] for row in rows} == {"NZ"}


def test_accept_header_selects_csv(api):
    CustomerFactory.create_batch(3)

    response = api.get("/api/v2/customers", HTTP_ACCEPT="text/csv")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert len(_csv(response)) == 3


def test_header_is_the_json_field_names_and_cells_the_json_values(api):
    customer = CustomerFactory(account="Acme, Inc.", email="a@example.com", phone="")
    listed = api.get("/api/v2/customers").json()["data"][0]

    response = api.get("/api/v2/customers?format=csv")

    rows = _csv(response)
    assert list(rows[0]) == CUSTOMER_COLUMNS == list(listed)
    # Cells are the JSON values as text: booleans as JSON writes them.
    as_text = {True: "true", False: "false"}
    # Money as the API computes it (two decimals), not the JSON float's text.
    expected = {
        name: as_text[v]
        if isinstance(v, bool)
        else f"{v:.2f}"
        if name == "credit_balance"
        else str(v)
        for name, v in ((name, listed[name]) for name in CUSTOMER_COLUMNS)
    }
    assert rows == [expected]
    assert rows[0]["account"] == "Acme, Inc."
    assert rows[0]["id"] == str(customer.pk)


def test_invoices_are_flattened_to_one_row_per_item(api):
    invoice = make_invoice(
        items=[
            item(amount="100.00", qty=2, description="Design"),
            item(amount="50.00", qty=1, description="Hosting", tax_rate="10"),
        ]
    )

    response = api.get("/api/v2/invoices?format=csv")

    rows = _csv(response)
    header = list(rows[0])
    assert header[:8] == [
        "id",
        "invoice_number",
        "customer_id",
        "date",
        "due_date",
        "status",
        "currency",
        "exchange_rate",
    ]
    assert header[8:18] == [
        "items.id",
        "items.product_id",
        "items.description",
        "items.amount",
        "items.qty",
        "items.tax_rate",
        "items.subtotal",
        "items.discount",
        "items.tax",
        "items.total",
    ]
    assert "items" not in header
    assert [(r["invoice_number"], r["items.description"], r["items.total"]) for r in rows] == [
        (invoice.invoice_number, "Design", "200.00"),
        (invoice.invoice_number, "Hosting", "55.00"),
    ]
    assert {r["amount"] for r in rows} == {str(invoice.total)}
    assert invoice.total == Decimal("255.00")


def test_quotes_are_flattened_too(api):
    response = api.get("/api/v2/quotes?format=csv")

    assert response.status_code == 200
    assert "items.description" in _header(response)


def test_query_count_does_not_grow_with_rows(api):
    def queries_for_csv() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = api.get("/api/v2/invoices?format=csv")
            rows = _csv(response)
        return len(captured), len(rows)

    customer = CustomerFactory()
    make_invoice(customer=customer)
    api.get("/api/v2/customers")  # the key's lookup is cached from here on
    few, few_rows = queries_for_csv()
    for _ in range(30):
        make_invoice(customer=customer, items=[item(), item()])
    many, many_rows = queries_for_csv()

    assert (few_rows, many_rows) == (1, 61)
    assert many == few
    assert few <= 4  # the rows and their items (plus the key's usage where it is counted)


def test_errors_on_a_csv_request_stay_json(api):
    response = api.get("/api/v2/customers?format=csv&created_from=not-a-date")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["success"] is False


def test_unauthenticated_csv_request_is_a_json_401(client):
    response = client.get("/api/v2/customers?format=csv")

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"


def test_unknown_format_is_refused(api):
    response = api.get("/api/v2/customers?format=xml")

    assert response.status_code == 400
    assert response.json()["errors"] == {"format": "Use json or csv."}


def test_detail_ignores_csv_and_answers_json(api):
    customer = CustomerFactory()

    response = api.get(f"/api/v2/customers/{customer.pk}", HTTP_ACCEPT="text/csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"


def test_viewers_may_export(client_for):
    CustomerFactory.create_batch(2)

    response = client_for("viewer").get("/api/v2/customers?format=csv")

    assert response.status_code == 200
    assert len(_csv(response)) == 2


def test_every_list_endpoint_has_csv():
    lists = [viewset for _, viewset, _ in router.registry if hasattr(viewset, "list")]
    assert len(lists) > 10
    assert [v.__name__ for v in lists if not issubclass(v, CsvListMixin)] == []
