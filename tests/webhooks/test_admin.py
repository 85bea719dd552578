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
