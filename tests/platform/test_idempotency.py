"""Contract section 4: `Idempotency-Key` on POST."""

import time

import pytest

from api import idempotency
from customers.models import Customer
from customers.views import CustomerViewSet
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

JANE = {"account": "Jane Smith", "email": "jane@example.com"}


def post(client, body, key="key-1", path="/api/v2/customers"):
    return client.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_retry_with_same_key_and_body_replays_first_response(api):
    first = post(api, JANE)

    second = post(api, JANE)

    assert first.status_code == second.status_code == 201
    assert second.content == first.content
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Customer.objects.count() == 1


def test_replay_still_carries_fresh_rate_limit_and_request_id_headers(api):
    post(api, JANE)

    second = post(api, JANE)

    assert second["X-RateLimit-Remaining"] == str(int(second["X-RateLimit-Limit"]) - 2)
    assert second["X-Request-ID"]


def test_same_key_with_different_body_is_422_and_creates_nothing(api):
    post(api, JANE)

    response = post(api, {**JANE, "email": "other@example.com"})

    assert response.status_code == 422
    assert response.json()["success"] is False
    assert "different request" in response.json()["message"]
    assert list(Customer.objects.values_list("email", flat=True)) == ["jane@example.com"]


def test_same_key_on_another_path_is_422(api):
    post(api, JANE)

    response = post(api, {"customers": [JANE]}, path="/api/v2/batch/customers")

    assert response.status_code == 422
    assert Customer.objects.count() == 1


def test_same_key_while_first_request_still_runs_is_409(api, monkeypatch):
    seen = {}
    original = CustomerViewSet.create_object

    def create_and_retry_meanwhile(self, data):
        # The client retries while the first request is still inside the endpoint.
        seen["retry"] = post(api, JANE)
        return original(self, data)

    monkeypatch.setattr(CustomerViewSet, "create_object", create_and_retry_meanwhile)

    first = post(api, JANE)

    assert first.status_code == 201
    assert seen["retry"].status_code == 409
    assert "still being processed" in seen["retry"].json()["message"]
    assert Customer.objects.count() == 1


def test_keys_are_scoped_per_api_key(client_for):
    alice, bob = client_for("administrator"), client_for("administrator")

    post(alice, JANE, key="shared")
    response = post(bob, {**JANE, "email": "bob@example.com"}, key="shared")

    assert response.status_code == 201
    assert Customer.objects.count() == 2


def test_a_new_key_creates_a_new_record(api):
    post(api, JANE, key="a")

    response = post(api, {**JANE, "email": "j2@example.com"}, key="b")

    assert response.status_code == 201
    assert Customer.objects.count() == 2


def test_key_longer_than_255_characters_is_400(api):
    response = post(api, JANE, key="k" * 256)

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "Idempotency-Key": "Idempotency-Key must be between 1 and 255 characters."
    }
    assert Customer.objects.count() == 0


def test_key_of_255_characters_is_accepted(api):
    assert post(api, JANE, key="k" * 255).status_code == 201


def test_validation_error_is_stored_and_replayed_too(api):
    bad = {"account": "", "email": "nope"}
    first = post(api, bad)

    second = post(api, bad)

    assert first.status_code == second.status_code == 400
    assert second.content == first.content
    assert second["Idempotent-Replayed"] == "true"


def test_server_error_is_not_stored_so_a_retry_runs_again(api, monkeypatch):
    original = CustomerViewSet.create_object
    calls = []

    def fail_once(self, data):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        return original(self, data)

    monkeypatch.setattr(CustomerViewSet, "create_object", fail_once)

    first = post(api, JANE)
    second = post(api, JANE)

    assert first.status_code == 500
    assert second.status_code == 201
    assert "Idempotent-Replayed" not in second
    assert Customer.objects.count() == 1


def test_records_are_kept_24_hours():
    assert idempotency.RECORD_TTL == 24 * 3600


def test_expired_record_no_longer_replays(api, monkeypatch):
    # The cache's own expiry (locmem or Redis) drops the record: shortened to 1 s here.
    monkeypatch.setattr(idempotency, "RECORD_TTL", 1)
    post(api, JANE)
    Customer.objects.all().delete()
    time.sleep(1.5)

    response = post(api, JANE)

    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert Customer.objects.count() == 1


def test_requests_refused_before_the_endpoint_do_not_claim_the_key(client_for):
    viewer = client_for("viewer")

    refused = post(viewer, JANE)
    again = post(viewer, JANE)

    assert refused.status_code == again.status_code == 403
    assert "Idempotent-Replayed" not in again


def test_header_is_ignored_on_other_methods(api):
    customer = CustomerFactory(account="Old")

    first = api.patch(
        f"/api/v2/customers/{customer.pk}", {"account": "A"}, HTTP_IDEMPOTENCY_KEY="k"
    )
    second = api.patch(
        f"/api/v2/customers/{customer.pk}", {"account": "B"}, HTTP_IDEMPOTENCY_KEY="k"
    )

    assert first.status_code == second.status_code == 200
    customer.refresh_from_db()
    assert customer.account == "B"


def test_post_without_the_header_is_not_deduplicated(api):
    api.post("/api/v2/customers", JANE, format="json")

    response = api.post("/api/v2/customers", JANE, format="json")

    assert response.status_code == 400
    assert Customer.objects.count() == 1
