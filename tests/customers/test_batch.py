import pytest
from django.db import connection

from customers.models import Customer
from tests.factories import CustomerFactory
from webhooks.models import Event

pytestmark = pytest.mark.django_db


def _records(n, start=0):
    return [
        {"account": f"Customer {i}", "email": f"customer{i}@example.com"}
        for i in range(start, start + n)
    ]


def test_batch_creates_all(api):
    response = api.post("/api/v2/batch/customers", {"customers": _records(3)}, format="json")

    assert response.status_code == 201
    assert [c["account"] for c in response.json()["data"]] == [
        "Customer 0",
        "Customer 1",
        "Customer 2",
    ]
    assert all(isinstance(c["id"], int) for c in response.json()["data"])
    assert Customer.objects.count() == 3
    assert Event.objects.filter(type="customer.created").count() == 3


def test_batch_is_all_or_nothing(api):
    records = _records(3)
    records[2]["email"] = "broken"

    response = api.post("/api/v2/batch/customers", {"customers": records}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"customers.2.email": "Invalid email format"}
    assert Customer.objects.count() == 0
    assert Event.objects.count() == 0


def test_batch_refuses_emails_already_taken(api):
    CustomerFactory(email="customer1@example.com")

    response = api.post("/api/v2/batch/customers", {"customers": _records(3)}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "customers.1.email": "A customer with this email already exists."
    }
    assert Customer.objects.count() == 1


def test_batch_refuses_duplicates_inside_the_batch(api):
    records = _records(2) + [{"account": "Again", "email": "CUSTOMER0@example.com"}]

    response = api.post("/api/v2/batch/customers", {"customers": records}, format="json")

    assert response.status_code == 400
    assert "customers.2.email" in response.json()["errors"]
    assert Customer.objects.count() == 0


def test_batch_of_1000_is_accepted_in_one_insert(api, django_assert_max_num_queries):
    # SQLite caps bound parameters per statement, so Django splits the INSERT there;
    # PostgreSQL takes each bulk insert (customers, events) in one statement.
    limit = 8 if connection.vendor == "postgresql" else 40
    api.get("/api/v2/customers")  # the interval's first request also flushes usage
    with django_assert_max_num_queries(limit):
        response = api.post("/api/v2/batch/customers", {"customers": _records(1000)}, format="json")

    assert response.status_code == 201
    assert Customer.objects.count() == 1000


def test_batch_over_1000_is_refused(api):
    response = api.post("/api/v2/batch/customers", {"customers": _records(1001)}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"customers": "At most 1000 customers per request."}
    assert Customer.objects.count() == 0


def test_empty_batch_is_refused(api):
    response = api.post("/api/v2/batch/customers", {"customers": []}, format="json")

    assert response.status_code == 400


def test_batch_without_customers_key_is_refused(api):
    response = api.post("/api/v2/batch/customers", {"people": []}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"customers": "This field is required."}


def test_viewer_cannot_batch(client_for):
    response = client_for("viewer").post(
        "/api/v2/batch/customers", {"customers": _records(1)}, format="json"
    )

    assert response.status_code == 403
