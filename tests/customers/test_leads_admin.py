import pytest

from customers.models import Customer, Lead, LeadStatus
from tests.customers.lead_factories import LeadFactory
from tests.factories import CustomerFactory
from users.services import user_create
from webhooks.models import Event

pytestmark = pytest.mark.django_db

LEADS = "/admin/customers/lead/"


@pytest.fixture
def staff(client):
    user_create(email="sales@example.com", password="correct-horse-battery-9", role="staff")
    assert client.login(username="sales@example.com", password="correct-horse-battery-9")
    return client


def test_lead_pages_render(staff):
    lead = LeadFactory(first_name="Zed", last_name="Quill")

    listing = staff.get(LEADS)

    assert listing.status_code == 200
    assert "Zed Quill" in listing.content.decode()
    assert staff.get(f"{LEADS}{lead.pk}/change/").status_code == 200
    assert staff.get(f"{LEADS}add/").status_code == 200


def test_add_lead_in_admin_publishes_lead_created(staff):
    response = staff.post(
        f"{LEADS}add/",
        {
            "first_name": "Ann",
            "last_name": "Lee",
            "email": "Ann@Example.com",
            "company": "",
            "phone": "",
            "source": "Phone",
            "status": "New",
        },
    )

    assert response.status_code == 302
    assert Lead.objects.get().email == "ann@example.com"
    assert Event.objects.filter(type="lead.created").count() == 1


def test_converted_is_not_offered_as_a_status_choice(staff):
    lead = LeadFactory()

    page = staff.get(f"{LEADS}{lead.pk}/change/").content.decode()

    assert 'value="Qualified"' in page
    assert 'value="Converted"' not in page


def test_convert_action_calls_the_service(staff):
    new = LeadFactory(company="Fresh Co", email="fresh@example.com")
    existing = CustomerFactory(email="known@example.com")
    known = LeadFactory(email="KNOWN@example.com")

    response = staff.post(
        LEADS,
        {"action": "convert_to_customer", "_selected_action": [new.pk, known.pk]},
        follow=True,
    )

    new.refresh_from_db()
    known.refresh_from_db()
    assert new.customer.account == "Fresh Co"
    assert known.customer_id == existing.pk
    assert (new.status, known.status) == (LeadStatus.CONVERTED, LeadStatus.CONVERTED)
    assert Customer.objects.count() == 2
    messages = [str(m) for m in response.context["messages"]]
    assert messages == ["Converted 2 lead(s): 1 new customer(s), 1 linked to an existing customer."]


def test_convert_action_warns_about_an_already_converted_lead(staff):
    lead = LeadFactory(first_name="Ann", last_name="Lee")
    staff.post(LEADS, {"action": "convert_to_customer", "_selected_action": [lead.pk]}, follow=True)

    response = staff.post(
        LEADS, {"action": "convert_to_customer", "_selected_action": [lead.pk]}, follow=True
    )

    messages = [str(m) for m in response.context["messages"]]
    assert messages == ["Ann Lee: This lead has already been converted."]
    assert Customer.objects.count() == 1
