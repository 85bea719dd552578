"""The customers room's audit trail (issue #17): one entry per write and door, with its actor
and the changed fields; none for a refused write; one statement per entry (one for a batch)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from customers import services
from customers.models import Customer
from tests.customers.lead_factories import LeadFactory
from tests.factories import CustomerFactory, UserFactory
from users.models import Role

pytestmark = pytest.mark.django_db


def entries(resource="customer"):
    return list(
        AuditEvent.objects.filter(resource=resource)
        .order_by("pk")
        .values_list("actor_type", "actor_id", "action", "resource_id", "changes")
    )


@pytest.fixture
def admin_user():
    return UserFactory(role=Role.ADMINISTRATOR)


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_api_create_records_the_new_values_by_the_key(api):
    response = api.post(
        "/api/v2/customers", {"account": "Acme", "email": "Ops@Acme.test"}, format="json"
    )

    [(actor_type, actor_id, action, resource_id, changes)] = entries()
    assert (actor_type, actor_id, action) == ("api_key", api.api_key.pk, "customer.created")
    assert resource_id == str(response.json()["data"]["id"])
    assert changes["account"] == [None, "Acme"]
    assert changes["email"] == [None, "ops@acme.test"]
    assert "search_text" not in changes  # a generated column


def test_api_update_records_only_the_changed_fields(api):
    customer = CustomerFactory(city="Oslo")

    api.patch(f"/api/v2/customers/{customer.pk}", {"city": "Bergen"}, format="json")

    assert entries() == [
        (
            "api_key",
            api.api_key.pk,
            "customer.updated",
            str(customer.pk),
            {"city": ["Oslo", "Bergen"]},
        )
    ]


def test_api_delete_records_the_removed_values(api):
    customer = CustomerFactory(account="Gone Ltd")

    api.delete(f"/api/v2/customers/{customer.pk}")

    [(_, _, action, resource_id, changes)] = entries()
    assert (action, resource_id) == ("customer.deleted", str(customer.pk))
    assert changes["account"] == ["Gone Ltd", None]


def test_admin_update_records_one_entry_by_the_user(admin_client, admin_user):
    customer = CustomerFactory(city="Oslo")
    form = {name: getattr(customer, name) for name in services.CUSTOMER_FIELDS if name != "city"}

    response = admin_client.post(
        f"/admin/customers/customer/{customer.pk}/change/", {**form, "city": "Bergen"}
    )

    assert response.status_code == 302
    assert entries() == [
        ("user", admin_user.pk, "customer.updated", str(customer.pk), {"city": ["Oslo", "Bergen"]})
    ]


def test_a_refused_write_records_nothing(api):
    CustomerFactory(email="taken@example.com")

    response = api.post(
        "/api/v2/customers", {"account": "Again", "email": "taken@example.com"}, format="json"
    )

    assert response.status_code == 400
    assert entries() == []


def test_a_batch_records_one_entry_per_customer_in_one_statement(api):
    records = [{"account": f"C{i}", "email": f"c{i}@example.com"} for i in range(3)]

    response = api.post("/api/v2/batch/customers", {"customers": records}, format="json")

    ids = [str(row["id"]) for row in response.json()["data"]]
    recorded = entries()
    assert [(row[2], row[3]) for row in recorded] == [("customer.created", pk) for pk in ids]
    assert {row[0] for row in recorded} == {"api_key"}
    assert recorded[2][4]["email"] == [None, "c2@example.com"]


def test_a_refused_batch_records_nothing(api):
    records = [
        {"account": "A", "email": "a@example.com"},
        {"account": "B", "email": "A@example.com"},
    ]

    response = api.post("/api/v2/batch/customers", {"customers": records}, format="json")

    assert response.status_code == 400
    assert entries() == []


def test_lead_create_update_and_delete_are_recorded(api):
    lead_id = api.post(
        "/api/v2/leads",
        {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"},
        format="json",
    ).json()["data"]["id"]
    api.patch(f"/api/v2/leads/{lead_id}", {"status": "Contacted"}, format="json")
    api.delete(f"/api/v2/leads/{lead_id}")

    recorded = entries("lead")
    assert [row[2] for row in recorded] == ["lead.created", "lead.updated", "lead.deleted"]
    assert recorded[1][4] == {"status": ["New", "Contacted"]}
    assert {row[3] for row in recorded} == {str(lead_id)}


def test_conversion_records_the_lead_and_the_customer_it_created(api):
    lead = LeadFactory(company="Analytical Engines", email="ada@example.com")

    api.post(f"/api/v2/leads/{lead.pk}/convert")

    customer = Customer.objects.get()
    [(_, _, action, resource_id, changes)] = entries("lead")
    assert (action, resource_id) == ("lead.converted", str(lead.pk))
    assert changes["status"][1] == "Converted"
    assert changes["customer_id"] == [None, customer.pk]
    assert [(row[2], row[3]) for row in entries()] == [("customer.created", str(customer.pk))]


def test_a_second_conversion_is_refused_and_records_nothing_more(api):
    lead = LeadFactory()
    api.post(f"/api/v2/leads/{lead.pk}/convert")

    response = api.post(f"/api/v2/leads/{lead.pk}/convert")

    assert response.status_code == 409
    assert len(entries("lead")) == 1


def _statements(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)


def test_the_audit_entry_adds_one_statement_to_each_write(monkeypatch):
    first, second = CustomerFactory(), CustomerFactory()
    batch = [{"account": f"B{i}", "email": f"b{i}@example.com"} for i in range(20)]
    other_batch = [{"account": f"D{i}", "email": f"d{i}@example.com"} for i in range(20)]
    wired = {
        "create": _statements(lambda: services.customer_create(account="A", email="a@x.test")),
        "update": _statements(lambda: services.customer_update(customer=first, city="Rome")),
        "batch of 20": _statements(lambda: services.customer_batch_create(records=batch)),
        "delete": _statements(lambda: services.customer_delete(customer=first)),
    }
    for name in ("audit_created", "audit_updated", "audit_deleted", "audit_record_many"):
        monkeypatch.setattr(services, name, lambda **kwargs: None)
    unwired = {
        "create": _statements(lambda: services.customer_create(account="B", email="b@x.test")),
        "update": _statements(lambda: services.customer_update(customer=second, city="Rome")),
        "batch of 20": _statements(lambda: services.customer_batch_create(records=other_batch)),
        "delete": _statements(lambda: services.customer_delete(customer=second)),
    }

    assert {name: wired[name] - unwired[name] for name in wired} == dict.fromkeys(wired, 1)


def test_customer_page_shows_its_history(api, admin_client):
    customer = CustomerFactory(city="Oslo")
    api.patch(f"/api/v2/customers/{customer.pk}", {"city": "Bergen"}, format="json")

    page = admin_client.get(f"/admin/customers/customer/{customer.pk}/change/").content.decode()

    assert "customer.updated" in page and "city" in page
    assert f"?resource=customer&amp;resource_id={customer.pk}" in page
