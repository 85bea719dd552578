"""`/api/v2/webhooks`, `/api/v2/deliveries`, `/api/v2/events` (administrators only)."""

import threading

import pytest
from django.db import connection
from django.utils import timezone

from tests.markers import requires_postgres
from tests.webhooks.factories import DeliveryFactory, EndpointFactory, EventFactory
from tests.webhooks.receiver import Receiver, Reply
from webhooks import catalog
from webhooks.models import Attempt, Delivery, Endpoint, Event

pytestmark = pytest.mark.django_db

CONTRACT_EVENTS = [
    "customer.created",
    "customer.updated",
    "customer.deleted",
    "invoice.created",
    "invoice.updated",
    "invoice.paid",
    "invoice.issued",
    "invoice.cancelled",
    "credit_note.created",
    "payment.received",
    "quote.created",
    "quote.converted",
    "transaction.created",
    "ticket.created",
    "ticket.replied",
    "lead.created",
    "lead.converted",
]
# Published beyond the contract's minimum.
EXTRA_EVENTS = [
    "quote.updated",
    "payment.voided",
    "transaction.updated",
    "transaction.deleted",
    "ticket.updated",
    "lead.updated",
    # Contract section 10 (email).
    "invoice.sent",
    "quote.sent",
    "credit_note.sent",
    # Contract section 11 (recurring invoices).
    "recurring_invoice.created",
    "recurring_invoice.updated",
    "recurring_invoice.deleted",
    # Contract section 12 (client portal).
    "quote.accepted",
    "quote.declined",
]


@pytest.fixture
def public_dns(fake_dns):
    fake_dns({"hooks.example.com": ["93.184.216.34"], "other.example.com": ["93.184.216.35"]})


def test_create_returns_the_endpoint_with_its_secret(api, public_dns):
    response = api.post(
        "/api/v2/webhooks",
        {"url": "https://hooks.example.com/in", "events": ["invoice.created", "payment.received"]},
        format="json",
    )

    assert response.status_code == 201
    data = response.json()["data"]
    endpoint = Endpoint.objects.get()
    assert data == {
        "id": endpoint.pk,
        "url": "https://hooks.example.com/in",
        "events": ["invoice.created", "payment.received"],
        "active": True,
        "disabled_reason": "",
        "disabled_at": None,
        "owner_id": api.user.pk,
        "created_at": endpoint.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "updated_at": endpoint.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "secret": endpoint.secret,
    }
    assert data["secret"].startswith("whsec_")


def test_the_secret_is_never_shown_again(api):
    endpoint = EndpointFactory()

    listed = api.get("/api/v2/webhooks").json()
    detail = api.get(f"/api/v2/webhooks/{endpoint.pk}").json()

    assert listed["meta"] == {"current_page": 1, "total_pages": 1, "total_records": 1}
    assert "secret" not in listed["data"][0]
    assert "secret" not in detail["data"]
    assert endpoint.secret not in str(listed) + str(detail)


def test_an_unknown_event_type_is_a_400_on_events(api, public_dns):
    response = api.post(
        "/api/v2/webhooks",
        {"url": "https://hooks.example.com/in", "events": ["invoice.created", "invoice.eaten"]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "events": "Unknown event type: invoice.eaten. See GET /api/v2/events."
    }
    assert Endpoint.objects.count() == 0


def test_an_empty_event_list_is_a_400_on_events(api, public_dns):
    response = api.post(
        "/api/v2/webhooks", {"url": "https://hooks.example.com/in", "events": []}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["events"]
    assert Endpoint.objects.count() == 0


@pytest.mark.parametrize(
    "url", ["ftp://hooks.example.com/in", "hooks.example.com/in", "mailto:a@b"]
)
def test_a_url_that_is_not_http_or_https_is_a_400_on_url(api, public_dns, url):
    response = api.post("/api/v2/webhooks", {"url": url, "events": ["*"]}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"url": "URL must start with http:// or https://."}
    assert Endpoint.objects.count() == 0


def test_repeated_event_types_are_stored_once(api, public_dns):
    response = api.post(
        "/api/v2/webhooks",
        {"url": "https://hooks.example.com/in", "events": ["lead.created", "lead.created"]},
        format="json",
    )

    assert response.json()["data"]["events"] == ["lead.created"]


def test_patch_changes_events_and_url(api, public_dns):
    endpoint = EndpointFactory(events=["*"])

    response = api.patch(
        f"/api/v2/webhooks/{endpoint.pk}",
        {"events": ["ticket.created"], "url": "https://other.example.com/x"},
        format="json",
    )

    assert response.status_code == 200
    endpoint.refresh_from_db()
    assert (endpoint.events, endpoint.url) == (["ticket.created"], "https://other.example.com/x")


def test_patch_to_a_private_url_is_refused_and_changes_nothing(api, fake_dns):
    fake_dns({})
    endpoint = EndpointFactory(url="https://hooks.example.com/in", events=["*"])

    response = api.patch(
        f"/api/v2/webhooks/{endpoint.pk}",
        {"url": "http://10.0.0.8/", "events": ["lead.created"]},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["url"]
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.events) == ("https://hooks.example.com/in", ["*"])


def test_patch_active_false_disables_and_fails_pending_deliveries(api):
    delivery = DeliveryFactory()

    response = api.patch(
        f"/api/v2/webhooks/{delivery.endpoint_id}", {"active": False}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["data"]["active"] is False
    assert response.json()["data"]["disabled_reason"] == "Disabled by an administrator."
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.next_attempt_at is None


def test_patch_active_true_re_enables_and_clears_the_reason(api):
    endpoint = EndpointFactory(
        active=False,
        disabled_reason="Every delivery attempt has failed ...",
        disabled_at=timezone.now(),
        failing_since=timezone.now(),
    )

    response = api.patch(f"/api/v2/webhooks/{endpoint.pk}", {"active": True}, format="json")

    data = response.json()["data"]
    assert (data["active"], data["disabled_reason"], data["disabled_at"]) == (True, "", None)
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None


def test_delete_removes_the_endpoint_and_its_deliveries_but_keeps_events(api):
    delivery = DeliveryFactory()

    response = api.delete(f"/api/v2/webhooks/{delivery.endpoint_id}")

    assert response.status_code == 200
    assert response.json() == {"success": True, "data": None}
    assert Endpoint.objects.count() == 0
    assert Delivery.objects.count() == 0
    assert Event.objects.count() == 1


@pytest.mark.parametrize("role", ["staff", "viewer"])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v2/webhooks"),
        ("post", "/api/v2/webhooks"),
        ("get", "/api/v2/events"),
        ("get", "/api/v2/deliveries"),
    ],
)
def test_only_administrators_may_use_webhooks(client_for, role, method, path):
    response = getattr(client_for(role), method)(path, {}, format="json")

    assert response.status_code == 403
    assert Endpoint.objects.count() == 0


def test_the_event_catalog_lists_every_contract_type_with_a_description(api):
    # More than one default page (20) of types: ask for them all.
    response = api.get("/api/v2/events?limit=100")

    assert response.status_code == 200
    body = response.json()
    assert [entry["type"] for entry in body["data"]] == CONTRACT_EVENTS + EXTRA_EVENTS
    assert all(entry["description"] for entry in body["data"])
    total = len(CONTRACT_EVENTS + EXTRA_EVENTS)
    assert body["meta"] == {"current_page": 1, "total_pages": 1, "total_records": total}
    assert list(catalog.EVENT_TYPES) == CONTRACT_EVENTS + EXTRA_EVENTS


def test_the_test_action_pings_that_endpoint_only(
    api, private_targets, django_capture_on_commit_callbacks
):
    with Receiver() as chosen, Receiver() as other:
        endpoint = EndpointFactory(url=chosen.url, events=["*"])
        chosen.secret = endpoint.secret
        EndpointFactory(url=other.url, events=["*"])

        with django_capture_on_commit_callbacks(execute=True):
            response = api.post(f"/api/v2/webhooks/{endpoint.pk}/test")

        assert response.status_code == 202
        assert len(chosen.requests) == 1
        assert other.requests == []
    data = response.json()["data"]
    assert (data["event_type"], data["status"]) == ("ping", "pending")
    assert chosen.requests[0].verified is True
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempt_count) == ("succeeded", 1)
    assert delivery.event.data == {
        "endpoint_id": endpoint.pk,
        "message": "Test event from Ledgerline.",
    }


def test_the_test_action_on_a_disabled_endpoint_is_a_409(api):
    endpoint = EndpointFactory(active=False)

    response = api.post(f"/api/v2/webhooks/{endpoint.pk}/test")

    assert response.status_code == 409
    assert Delivery.objects.count() == 0


def test_deliveries_show_each_attempt(api, private_targets, django_capture_on_commit_callbacks):
    with Receiver(replies=[Reply(500, b"boom")], default=Reply(204, b"")) as receiver:
        endpoint = EndpointFactory(url=receiver.url)
        with django_capture_on_commit_callbacks(execute=True):
            api.post(f"/api/v2/webhooks/{endpoint.pk}/test")
        delivery = Delivery.objects.get()
        with django_capture_on_commit_callbacks(execute=True):
            api.post(f"/api/v2/deliveries/{delivery.pk}/retry")

    response = api.get(f"/api/v2/webhooks/{endpoint.pk}/deliveries")

    assert response.status_code == 200
    [shown] = response.json()["data"]
    assert (shown["id"], shown["status"], shown["attempt_count"]) == (delivery.pk, "succeeded", 2)
    assert [
        (a["number"], a["status_code"], a["succeeded"], a["response_excerpt"])
        for a in shown["attempts"]
    ] == [(1, 500, False, "boom"), (2, 204, True, "")]
    assert all(a["duration_ms"] >= 0 and a["error"] == "" for a in shown["attempts"])


def test_retry_re_sends_a_failed_delivery(api, private_targets, django_capture_on_commit_callbacks):
    with Receiver() as receiver:
        endpoint = EndpointFactory(url=receiver.url)
        receiver.secret = endpoint.secret
        delivery = DeliveryFactory(
            endpoint=endpoint, status=Delivery.Status.FAILED, next_attempt_at=None, attempt_count=8
        )

        with django_capture_on_commit_callbacks(execute=True):
            response = api.post(f"/api/v2/deliveries/{delivery.pk}/retry")

        assert response.status_code == 202
        assert len(receiver.requests) == 1
    assert receiver.requests[0].headers["webhook-id"] == delivery.event.public_id
    assert receiver.requests[0].verified is True
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count) == (Delivery.Status.SUCCEEDED, 9)


def test_retry_for_a_disabled_endpoint_is_a_409_and_changes_nothing(api):
    delivery = DeliveryFactory(
        endpoint=EndpointFactory(active=False),
        status=Delivery.Status.FAILED,
        next_attempt_at=None,
    )

    response = api.post(f"/api/v2/deliveries/{delivery.pk}/retry")

    assert response.status_code == 409
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED
    assert Attempt.objects.count() == 0


def test_deliveries_cannot_be_created_or_deleted_through_the_api(api):
    delivery = DeliveryFactory()

    assert api.post("/api/v2/deliveries", {}, format="json").status_code == 405
    assert api.delete(f"/api/v2/deliveries/{delivery.pk}").status_code == 405


def test_the_deliveries_list_uses_a_fixed_number_of_queries(api, django_assert_max_num_queries):
    endpoint = EndpointFactory()
    for _ in range(15):
        delivery = DeliveryFactory(endpoint=endpoint, event=EventFactory())
        Attempt.objects.create(delivery=delivery, number=1, status_code=500)

    # Auth and rate-limit bookkeeping, the endpoint, count, page, attempts prefetch.
    with django_assert_max_num_queries(12):
        response = api.get(f"/api/v2/webhooks/{endpoint.pk}/deliveries?limit=100")

    assert len(response.json()["data"]) == 15
    with django_assert_max_num_queries(12):
        assert len(api.get("/api/v2/deliveries?limit=100").json()["data"]) == 15


def test_an_endpoint_can_be_registered_inactive(api, private_targets):
    response = api.post(
        "/api/v2/webhooks",
        {"url": "http://127.0.0.1:9/in", "events": ["*"], "active": False},
        format="json",
    )

    assert response.status_code == 201
    assert Endpoint.objects.get().active is False


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_deletes_of_one_endpoint_answer_one_200_and_the_rest_404(api):
    from rest_framework.test import APIClient

    endpoint = EndpointFactory()
    DeliveryFactory(endpoint=endpoint)
    start = threading.Barrier(6)
    codes: list[int] = []

    def delete():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {api.raw_key}")
        start.wait()
        try:
            codes.append(client.delete(f"/api/v2/webhooks/{endpoint.pk}").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=delete) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(codes) == [200, 404, 404, 404, 404, 404]
    assert Endpoint.objects.count() == 0
    assert Delivery.objects.count() == 0
