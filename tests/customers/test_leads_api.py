import pytest

from customers.models import Lead, LeadStatus
from tests.customers.lead_factories import LeadFactory
from webhooks.models import Event

pytestmark = pytest.mark.django_db

REFERENCE = {
    "first_name": "John",
    "last_name": "Smith",
    "email": "john@example.com",
    "company": "Acme Corp",
    "phone": "1234567890",
    "source": "Website",
}


def test_create_with_the_reference_body(api):
    response = api.post("/api/v2/leads", REFERENCE, format="json")

    data = response.json()["data"]
    assert response.status_code == 201
    assert {k: data[k] for k in REFERENCE} == REFERENCE
    assert data["status"] == "New"
    assert (data["customer_id"], data["converted_at"]) == (None, None)
    assert set(data) == {
        *REFERENCE,
        "id",
        "status",
        "customer_id",
        "converted_at",
        "created_at",
        "updated_at",
    }


def test_create_publishes_lead_created(api):
    response = api.post("/api/v2/leads", REFERENCE, format="json")

    assert Event.objects.get(type="lead.created").data == response.json()["data"]


def test_email_is_stored_lowercase(api):
    response = api.post("/api/v2/leads", {**REFERENCE, "email": "John@Example.COM"}, format="json")

    assert response.json()["data"]["email"] == "john@example.com"


def test_invalid_email(api):
    response = api.post("/api/v2/leads", {**REFERENCE, "email": "not-an-email"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"email": "Invalid email format"}
    assert Lead.objects.count() == 0


def test_required_fields(api):
    response = api.post("/api/v2/leads", {"company": "Acme"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "first_name": "This field is required.",
        "last_name": "This field is required.",
        "email": "This field is required.",
    }
    assert Lead.objects.count() == 0


def test_company_phone_and_source_are_optional(api):
    response = api.post(
        "/api/v2/leads",
        {"first_name": "Ann", "last_name": "Lee", "email": "ann@example.com"},
        format="json",
    )

    data = response.json()["data"]
    assert response.status_code == 201
    assert (data["company"], data["phone"], data["source"]) == ("", "", "")


def test_create_with_a_pipeline_status(api):
    response = api.post("/api/v2/leads", {**REFERENCE, "status": "Qualified"}, format="json")

    assert response.json()["data"]["status"] == "Qualified"


def test_cannot_create_a_converted_lead(api):
    response = api.post("/api/v2/leads", {**REFERENCE, "status": "Converted"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "status": "A lead becomes Converted only through POST /api/v2/leads/{id}/convert."
    }
    assert Lead.objects.count() == 0


def test_invalid_status(api):
    response = api.post("/api/v2/leads", {**REFERENCE, "status": "Hot"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "status": "Must be one of: New, Contacted, Qualified, Lost, Converted."
    }


def test_retrieve(api):
    lead = LeadFactory(first_name="Zoe")

    response = api.get(f"/api/v2/leads/{lead.pk}")

    assert response.json()["data"]["first_name"] == "Zoe"


def test_patch_moves_through_the_pipeline(api):
    lead = LeadFactory()

    response = api.patch(f"/api/v2/leads/{lead.pk}", {"status": "Contacted"}, format="json")

    assert response.status_code == 200
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONTACTED


def test_patch_cannot_set_converted(api):
    lead = LeadFactory(status=LeadStatus.QUALIFIED)

    response = api.patch(f"/api/v2/leads/{lead.pk}", {"status": "Converted"}, format="json")

    assert response.status_code == 400
    lead.refresh_from_db()
    assert (lead.status, lead.customer_id) == ("Qualified", None)


def test_converted_lead_keeps_its_status(api):
    lead = LeadFactory()
    api.post(f"/api/v2/leads/{lead.pk}/convert")

    response = api.patch(f"/api/v2/leads/{lead.pk}", {"status": "New"}, format="json")

    assert response.status_code == 409
    assert response.json()["message"] == "A converted lead keeps the status Converted."
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONVERTED


def test_put_replaces(api):
    lead = LeadFactory()

    response = api.put(f"/api/v2/leads/{lead.pk}", {**REFERENCE, "company": ""}, format="json")

    assert response.status_code == 200
    lead.refresh_from_db()
    assert (lead.first_name, lead.company, lead.status) == ("John", "", "New")


def test_delete(api):
    lead = LeadFactory()

    response = api.delete(f"/api/v2/leads/{lead.pk}")

    assert response.status_code == 200
    assert not Lead.objects.exists()


def test_deleting_a_converted_lead_keeps_the_customer(api):
    lead = LeadFactory()
    customer_id = api.post(f"/api/v2/leads/{lead.pk}/convert").json()["data"]["id"]

    api.delete(f"/api/v2/leads/{lead.pk}")

    assert api.get(f"/api/v2/customers/{customer_id}").status_code == 200


def _names(response):
    assert response.status_code == 200, response.json()
    return [lead["first_name"] for lead in response.json()["data"]]


def test_filter_by_status(api):
    LeadFactory(first_name="Ann", status=LeadStatus.NEW)
    LeadFactory(first_name="Bob", status=LeadStatus.QUALIFIED)

    assert _names(api.get("/api/v2/leads?status=Qualified")) == ["Bob"]


def test_filter_by_source_ignores_case(api):
    LeadFactory(first_name="Ann", source="Referral")
    LeadFactory(first_name="Bob", source="Website")

    assert _names(api.get("/api/v2/leads?source=referral")) == ["Ann"]


@pytest.mark.parametrize("term", ["smith", "ACME", "jsmith@", "555-0100"])
def test_search_by_name_company_email_and_phone(api, term):
    LeadFactory(
        first_name="John",
        last_name="Smith",
        company="Acme Corp",
        email="jsmith@acme.test",
        phone="555-0100",
    )
    LeadFactory(first_name="Other", last_name="Person", company="Globex", phone="555-0200")

    assert _names(api.get(f"/api/v2/leads?search={term}")) == ["John"]


def test_list_is_paginated(api):
    LeadFactory.create_batch(3)

    body = api.get("/api/v2/leads?limit=2").json()

    assert len(body["data"]) == 2
    assert body["meta"] == {"current_page": 1, "total_pages": 2, "total_records": 3}


def test_list_query_count_is_fixed(api, django_assert_max_num_queries):
    LeadFactory.create_batch(2)
    with django_assert_max_num_queries(12) as few:
        api.get("/api/v2/leads")
    LeadFactory.create_batch(30)

    with django_assert_max_num_queries(len(few.captured_queries)):
        api.get("/api/v2/leads?limit=50")


def test_viewer_cannot_create(client_for):
    response = client_for("viewer").post("/api/v2/leads", REFERENCE, format="json")

    assert response.status_code == 403
    assert Lead.objects.count() == 0
