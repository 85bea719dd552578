import pytest

from customers.models import Customer
from tests.factories import CustomerFactory
from webhooks.models import Event

pytestmark = pytest.mark.django_db

FULL = {
    "account": "Jane Smith",
    "email": "jane@example.com",
    "phone": "1234567890",
    "address": "123 Business St",
    "city": "New York",
    "state": "NY",
    "zip": "10001",
    "country": "US",
}


def test_create_with_all_reference_fields(api):
    response = api.post("/api/v2/customers", FULL, format="json")

    data = response.json()["data"]
    assert response.status_code == 201
    assert {k: data[k] for k in FULL} == FULL
    assert set(data) == {
        *FULL,
        "id",
        "reminders_enabled",
        "currency",
        "credit_balance",
        "created_at",
        "updated_at",
    }
    assert data["reminders_enabled"] is True


def test_create_publishes_customer_created(api):
    api.post("/api/v2/customers", FULL, format="json")

    event = Event.objects.get(type="customer.created")
    assert event.data["email"] == "jane@example.com"


def test_email_is_unique_ignoring_case(api):
    CustomerFactory(email="jane@example.com")

    response = api.post("/api/v2/customers", {**FULL, "email": "JANE@example.com"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"email": "A customer with this email already exists."}
    assert Customer.objects.count() == 1


def test_email_is_required(api):
    response = api.post("/api/v2/customers", {"account": "No Mail"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"email": "This field is required."}


def test_put_replaces(api):
    customer = CustomerFactory()

    response = api.put(f"/api/v2/customers/{customer.pk}", FULL, format="json")

    assert response.status_code == 200
    customer.refresh_from_db()
    assert customer.account == "Jane Smith"
    assert customer.city == "New York"


def test_put_requires_the_required_fields(api):
    customer = CustomerFactory(account="Kept")

    response = api.put(f"/api/v2/customers/{customer.pk}", {"city": "Paris"}, format="json")

    assert response.status_code == 400
    customer.refresh_from_db()
    assert customer.account == "Kept"


def test_patch_changes_only_given_fields(api):
    customer = CustomerFactory(account="Old Name", city="Boston")

    response = api.patch(f"/api/v2/customers/{customer.pk}", {"account": "New Name"}, format="json")

    assert response.status_code == 200
    customer.refresh_from_db()
    assert (customer.account, customer.city) == ("New Name", "Boston")
    assert Event.objects.filter(type="customer.updated").count() == 1


def test_patch_to_a_taken_email_is_refused(api):
    CustomerFactory(email="taken@example.com")
    customer = CustomerFactory(email="mine@example.com")

    response = api.patch(
        f"/api/v2/customers/{customer.pk}", {"email": "taken@example.com"}, format="json"
    )

    assert response.status_code == 400
    customer.refresh_from_db()
    assert customer.email == "mine@example.com"


def test_delete_publishes_customer_deleted(api):
    customer = CustomerFactory(account="Gone Inc")

    api.delete(f"/api/v2/customers/{customer.pk}")

    assert Event.objects.get(type="customer.deleted").data["account"] == "Gone Inc"


def test_search_matches_account_email_and_phone(api):
    CustomerFactory(account="Acme Corp", email="billing@acme.test")
    CustomerFactory(account="Globex", email="hello@globex.test", phone="999-111")
    CustomerFactory(account="Initech", email="i@initech.test")

    by_account = api.get("/api/v2/customers?search=acme").json()["data"]
    by_phone = api.get("/api/v2/customers?search=999-1").json()["data"]

    assert [c["account"] for c in by_account] == ["Acme Corp"]
    assert [c["account"] for c in by_phone] == ["Globex"]


def test_filter_by_country(api):
    CustomerFactory(country="US")
    CustomerFactory(country="FR")

    data = api.get("/api/v2/customers?country=fr").json()["data"]

    assert [c["country"] for c in data] == ["FR"]


def test_filter_updated_since(api):
    CustomerFactory()

    assert api.get("/api/v2/customers?updated_since=2999-01-01T00:00:00Z").json()["data"] == []
    assert len(api.get("/api/v2/customers?updated_since=2000-01-01T00:00:00Z").json()["data"]) == 1


def test_bad_filter_value_is_400(api):
    response = api.get("/api/v2/customers?updated_since=yesterday")

    assert response.status_code == 400
    assert "updated_since" in response.json()["errors"]


@pytest.mark.parametrize("size", [5, 60])
def test_list_query_count_does_not_grow_with_page_size(api, size, django_assert_max_num_queries):
    CustomerFactory.create_batch(size)

    api.get("/api/v2/customers?limit=1")  # the interval's first request also flushes usage

    # key lookup + count + page, whatever the page size
    with django_assert_max_num_queries(3):
        response = api.get("/api/v2/customers?limit=100")

    assert len(response.json()["data"]) == size


def test_search_needs_every_word_in_any_case(api):
    CustomerFactory(account="Acme Corp", email="billing@acme.test")
    CustomerFactory(account="Acme Labs", email="labs@acme.test")

    data = api.get("/api/v2/customers?search=ACME%20labs").json()["data"]

    assert [c["account"] for c in data] == ["Acme Labs"]


def test_search_text_follows_an_update(api):
    customer = CustomerFactory(account="Old Name")

    api.patch(f"/api/v2/customers/{customer.pk}", {"account": "Brand New"}, format="json")

    assert [c["id"] for c in api.get("/api/v2/customers?search=brand").json()["data"]] == [
        customer.pk
    ]
    assert api.get("/api/v2/customers?search=old").json()["data"] == []
