import pytest

from customers import services as customer_services
from customers.models import Customer, Lead, LeadStatus
from tests.customers.lead_factories import LeadFactory
from tests.factories import CustomerFactory
from webhooks.models import Event

pytestmark = pytest.mark.django_db


def convert(api, lead):
    return api.post(f"/api/v2/leads/{lead.pk}/convert")


def test_convert_creates_the_customer_named_after_the_company(api):
    lead = LeadFactory(
        first_name="John",
        last_name="Smith",
        email="john@acme.test",
        company="Acme Corp",
        phone="1234567890",
    )

    response = convert(api, lead)

    data = response.json()["data"]
    assert response.status_code == 201
    assert (data["account"], data["email"], data["phone"]) == (
        "Acme Corp",
        "john@acme.test",
        "1234567890",
    )
    assert set(data) == {
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
    }
    assert Customer.objects.get().pk == data["id"]


def test_without_a_company_the_customer_is_named_after_the_person(api):
    lead = LeadFactory(first_name="Jane", last_name="Doe", company="")

    response = convert(api, lead)

    assert response.json()["data"]["account"] == "Jane Doe"


def test_convert_marks_the_lead_converted_and_links_it(api):
    lead = LeadFactory(status=LeadStatus.QUALIFIED)

    customer_id = convert(api, lead).json()["data"]["id"]

    shown = api.get(f"/api/v2/leads/{lead.pk}").json()["data"]
    assert (shown["status"], shown["customer_id"]) == ("Converted", customer_id)
    assert shown["converted_at"] is not None


def test_convert_publishes_customer_created_and_lead_converted(api):
    lead = LeadFactory()

    customer_id = convert(api, lead).json()["data"]["id"]

    assert Event.objects.get(type="customer.created").data["id"] == customer_id
    converted = Event.objects.get(type="lead.converted").data
    assert (converted["id"], converted["status"], converted["customer_id"]) == (
        lead.pk,
        "Converted",
        customer_id,
    )


def test_second_conversion_is_a_409_and_changes_nothing(api):
    lead = LeadFactory()
    convert(api, lead)
    lead.refresh_from_db()
    before = (lead.customer_id, lead.converted_at, lead.updated_at)

    response = convert(api, lead)

    assert response.status_code == 409
    assert response.json() == {
        "success": False,
        "message": "This lead has already been converted.",
    }
    assert Customer.objects.count() == 1
    assert Event.objects.filter(type="lead.converted").count() == 1
    lead.refresh_from_db()
    assert (lead.customer_id, lead.converted_at, lead.updated_at) == before


def test_lead_with_an_existing_customers_email_links_to_that_customer(api):
    existing = CustomerFactory(account="Acme Billing", email="john@acme.test")
    lead = LeadFactory(email="John@ACME.test", company="Acme Corp")

    response = convert(api, lead)

    assert response.status_code == 200
    assert response.json()["data"]["id"] == existing.pk
    assert response.json()["data"]["account"] == "Acme Billing"
    assert Customer.objects.count() == 1
    assert not Event.objects.filter(type="customer.created").exists()
    lead.refresh_from_db()
    assert (lead.status, lead.customer_id) == ("Converted", existing.pk)
    assert Event.objects.get(type="lead.converted").data["customer_id"] == existing.pk


def test_two_leads_with_the_same_email_share_one_customer(api):
    first = LeadFactory(email="same@example.com")
    second = LeadFactory(email="same@example.com")

    created = convert(api, first)
    linked = convert(api, second)

    assert (created.status_code, linked.status_code) == (201, 200)
    assert created.json()["data"]["id"] == linked.json()["data"]["id"]
    assert Customer.objects.count() == 1


def test_a_lost_lead_can_still_be_converted(api):
    lead = LeadFactory(status=LeadStatus.LOST)

    response = convert(api, lead)

    assert response.status_code == 201
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CONVERTED


def test_unknown_lead_is_404(api):
    response = api.post("/api/v2/leads/999/convert")

    assert response.status_code == 404
    assert Customer.objects.count() == 0


def test_viewer_cannot_convert(client_for):
    lead = LeadFactory()

    response = client_for("viewer").post(f"/api/v2/leads/{lead.pk}/convert")

    assert response.status_code == 403
    assert Customer.objects.count() == 0


def test_conversion_is_one_transaction(monkeypatch):
    # If the lead.converted event cannot be written, the customer is not created either.
    lead = LeadFactory()
    real_publish = customer_services.event_publish

    def failing_publish(*, event_type, data):
        if event_type == "lead.converted":
            raise RuntimeError("outbox down")
        return real_publish(event_type=event_type, data=data)

    monkeypatch.setattr(customer_services, "event_publish", failing_publish)

    with pytest.raises(RuntimeError):
        customer_services.lead_convert(lead=lead)

    assert Customer.objects.count() == 0
    assert not Event.objects.exists()
    lead.refresh_from_db()
    assert (lead.status, lead.customer_id) == ("New", None)


def test_deleting_the_customer_keeps_the_lead_converted(api):
    lead = LeadFactory()
    customer_id = convert(api, lead).json()["data"]["id"]

    api.delete(f"/api/v2/customers/{customer_id}")

    lead = Lead.objects.get(pk=lead.pk)
    assert (lead.status, lead.customer_id) == ("Converted", None)
