import pytest
from django.test import Client

from tests.factories import UserFactory
from tests.webhooks.factories import DeliveryFactory, EndpointFactory
from tests.webhooks.receiver import Receiver
from webhooks.models import Attempt, Delivery, Endpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_() -> Client:
    client = Client()
    client.force_login(UserFactory(role="administrator"))
    return client


def test_endpoint_pages_never_show_the_secret(admin_client_):
    endpoint = EndpointFactory()

    listing = admin_client_.get("/admin/webhooks/endpoint/")
    change = admin_client_.get(f"/admin/webhooks/endpoint/{endpoint.pk}/change/")

    assert listing.status_code == change.status_code == 200
    assert endpoint.url in listing.content.decode()
    assert endpoint.secret not in listing.content.decode() + change.content.decode()


def test_adding_an_endpoint_shows_its_secret_once(admin_client_, private_targets):
    response = admin_client_.post(
        "/admin/webhooks/endpoint/add/",
        {"url": "http://127.0.0.1:8105/in", "events": ["invoice.created"], "active": "on"},
        follow=True,
    )

    endpoint = Endpoint.objects.get()
    assert endpoint.events == ["invoice.created"]
    assert f"(shown once, copy it now): {endpoint.secret}" in response.content.decode()


def test_adding_a_private_endpoint_is_refused_on_the_form(admin_client_, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False

    response = admin_client_.post(
        "/admin/webhooks/endpoint/add/",
        {"url": "http://169.254.169.254/latest", "events": ["*"], "active": "on"},
    )

    assert response.status_code == 200
    assert "169.254.169.254 is a link-local address" in response.content.decode()
    assert Endpoint.objects.count() == 0


def test_delivery_page_shows_attempts_inline(admin_client_):
    delivery = DeliveryFactory()
    Attempt.objects.create(delivery=delivery, number=1, status_code=503, error="")

    response = admin_client_.get(f"/admin/webhooks/delivery/{delivery.pk}/change/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "503" in page
    assert delivery.event.public_id in page


def test_resend_action_sends_again(
    admin_client_, private_targets, django_capture_on_commit_callbacks
):
    with Receiver() as receiver:
        delivery = DeliveryFactory(
            endpoint=EndpointFactory(url=receiver.url), status="failed", next_attempt_at=None
        )
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client_.post(
                "/admin/webhooks/delivery/",
                {"action": "resend", "_selected_action": [delivery.pk]},
                follow=True,
            )

        assert len(receiver.requests) == 1
    assert "1 delivery(ies) queued to be re-sent." in response.content.decode()
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SUCCEEDED


def test_send_test_action_pings_the_endpoint(
    admin_client_, private_targets, django_capture_on_commit_callbacks
):
    with Receiver() as receiver:
        endpoint = EndpointFactory(url=receiver.url)
        with django_capture_on_commit_callbacks(execute=True):
            admin_client_.post(
                "/admin/webhooks/endpoint/",
                {"action": "send_test", "_selected_action": [endpoint.pk]},
            )

        assert len(receiver.requests) == 1
    assert b'"type":"ping"' in receiver.requests[0].body


def test_event_list_loads(admin_client_):
    DeliveryFactory()

    assert admin_client_.get("/admin/webhooks/event/").status_code == 200


def test_editing_an_endpoint_goes_through_the_service(admin_client_, private_targets):
    endpoint = EndpointFactory(events=["*"])

    response = admin_client_.post(
        f"/admin/webhooks/endpoint/{endpoint.pk}/change/",
        {"url": endpoint.url, "events": ["invoice.created"]},  # "active" unticked
        follow=True,
    )

    assert response.status_code == 200
    endpoint.refresh_from_db()
    assert endpoint.events == ["invoice.created"]
    assert (endpoint.active, endpoint.disabled_reason) == (False, "Disabled by an administrator.")


def test_deleting_an_endpoint_in_the_admin_removes_its_deliveries(admin_client_):
    delivery = DeliveryFactory()

    response = admin_client_.post(
        f"/admin/webhooks/endpoint/{delivery.endpoint_id}/delete/", {"post": "yes"}, follow=True
    )

    assert response.status_code == 200
    assert Endpoint.objects.count() == 0
    assert Delivery.objects.count() == 0


def test_resending_a_delivery_of_a_disabled_endpoint_is_refused_on_the_page(admin_client_):
    delivery = DeliveryFactory(endpoint=EndpointFactory(active=False), status="failed")

    response = admin_client_.post(
        "/admin/webhooks/delivery/",
        {"action": "resend", "_selected_action": [delivery.pk]},
        follow=True,
    )

    page = response.content.decode()
    assert "The endpoint is disabled: re-enable it (PATCH active=true) first." in page
    assert "0 delivery(ies) queued to be re-sent." in page
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED


def test_deliveries_and_events_cannot_be_deleted_in_the_admin(admin_client_):
    delivery = DeliveryFactory()

    for url in (
        f"/admin/webhooks/delivery/{delivery.pk}/delete/",
        f"/admin/webhooks/event/{delivery.event_id}/delete/",
    ):
        assert admin_client_.post(url, {"post": "yes"}).status_code == 403
    assert Delivery.objects.count() == 1
