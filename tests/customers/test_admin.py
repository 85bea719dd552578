"""The customers admin writes through the services: saves, deletes and "Delete selected"
announce their events like the API does, and a refusal is a message on the page."""

import pytest

from customers.models import Customer
from tests.factories import CustomerFactory, UserFactory
from tests.support.factories import TicketFactory
from users.models import Role
from webhooks.models import Event

pytestmark = pytest.mark.django_db

CUSTOMERS = "/admin/customers/customer/"


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(role=Role.ADMINISTRATOR))
    return client


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_delete_selected_writes_one_customer_deleted_event_per_row(admin_client):
    customers = CustomerFactory.create_batch(3)
    kept = CustomerFactory()

    response = admin_client.post(
        CUSTOMERS,
        {
            "action": "delete_selected",
            "post": "yes",
            "_selected_action": [c.pk for c in customers],
        },
        follow=True,
    )

    assert response.status_code == 200
    assert list(Customer.objects.values_list("pk", flat=True)) == [kept.pk]
    deleted = Event.objects.filter(type="customer.deleted").order_by("id")
    assert [e.data["id"] for e in deleted] == [c.pk for c in customers]
    assert [e.data["account"] for e in deleted] == [c.account for c in customers]


def test_delete_selected_with_a_protected_customer_deletes_none_and_says_why(admin_client):
    free = CustomerFactory()
    with_ticket = TicketFactory().customer

    response = admin_client.post(
        CUSTOMERS,
        {"action": "delete_selected", "post": "yes", "_selected_action": [free.pk, with_ticket.pk]},
        follow=True,
    )

    assert _messages(response) == ["This customer still has tickets and cannot be deleted."]
    assert Customer.objects.count() == 2
    assert not Event.objects.filter(type="customer.deleted").exists()


def test_deleting_one_customer_in_the_admin_announces_it(admin_client):
    customer = CustomerFactory(account="Gone Inc")

    admin_client.post(f"{CUSTOMERS}{customer.pk}/delete/", {"post": "yes"})

    assert not Customer.objects.filter(pk=customer.pk).exists()
    assert Event.objects.get(type="customer.deleted").data["account"] == "Gone Inc"


def test_adding_a_customer_in_the_admin_goes_through_the_service(admin_client):
    response = admin_client.post(
        f"{CUSTOMERS}add/", {"account": "Fresh Co", "email": "Hello@Fresh.example"}
    )

    assert response.status_code == 302
    customer = Customer.objects.get()
    assert (customer.account, customer.email) == ("Fresh Co", "hello@fresh.example")
    assert Event.objects.get(type="customer.created").data["id"] == customer.pk


def test_editing_a_customer_in_the_admin_saves_only_what_changed(admin_client):
    customer = CustomerFactory(account="Old Name", phone="555-0001")
    form = {
        field: getattr(customer, field)
        for field in ["account", "email", "phone", "address", "city", "state", "zip", "country"]
    }

    response = admin_client.post(f"{CUSTOMERS}{customer.pk}/change/", {**form, "account": "New"})

    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.account, customer.phone) == ("New", "555-0001")
    assert Event.objects.get(type="customer.updated").data["account"] == "New"


def test_a_taken_email_is_shown_beside_the_field(admin_client):
    CustomerFactory(email="taken@example.com")
    customer = CustomerFactory(email="mine@example.com")

    response = admin_client.post(
        f"{CUSTOMERS}{customer.pk}/change/",
        {"account": customer.account, "email": "TAKEN@example.com"},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "email": ["A customer with this email already exists."]
    }
    customer.refresh_from_db()
    assert customer.email == "mine@example.com"
