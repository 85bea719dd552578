"""The webhooks room's audit trail (issue #17): endpoint writes, test sends and delivery retries
record one entry each, never with the secret; the delivery runs that disable a failing
endpoint are recorded as their task or command; the outbox itself is not audited."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from audit.models import AuditEvent
from tests.factories import UserFactory
from tests.webhooks.factories import DeliveryFactory, EndpointFactory
from tests.webhooks.receiver import Receiver, Reply
from webhooks.models import Endpoint
from webhooks.tasks import deliver_due

pytestmark = pytest.mark.django_db


def entries(resource="webhook"):
    return list(
        AuditEvent.objects.filter(resource=resource)
        .order_by("pk")
        .values_list("actor_type", "actor_name", "action", "resource_id", "changes")
    )


@pytest.fixture
def public_dns(fake_dns):
    fake_dns({"hooks.example.com": ["93.184.216.34"]})


def test_api_create_update_delete_are_recorded_without_the_secret(api, public_dns):
    endpoint_id = api.post(
        "/api/v2/webhooks",
        {"url": "https://hooks.example.com/in", "events": ["invoice.created"]},
        format="json",
    ).json()["data"]["id"]
    secret = Endpoint.objects.get().secret
    api.patch(f"/api/v2/webhooks/{endpoint_id}", {"events": ["*"]}, format="json")
    api.delete(f"/api/v2/webhooks/{endpoint_id}")

    recorded = entries()
    assert [(row[0], row[2], row[3]) for row in recorded] == [
        ("api_key", "webhook.created", str(endpoint_id)),
        ("api_key", "webhook.updated", str(endpoint_id)),
        ("api_key", "webhook.deleted", str(endpoint_id)),
    ]
    assert recorded[0][4]["url"] == [None, "https://hooks.example.com/in"]
    assert recorded[1][4] == {"events": [["invoice.created"], ["*"]]}
    assert secret not in str(recorded)
    assert not any("secret" in row[4] for row in recorded)


def test_a_refused_create_records_nothing(api, public_dns):
    response = api.post(
        "/api/v2/webhooks",
        {"url": "https://hooks.example.com/in", "events": ["no.such.event"]},
        format="json",
    )

    assert response.status_code == 400
    assert entries() == []


def test_disabling_through_the_api_is_one_entry(api):
    endpoint = EndpointFactory()

    api.patch(f"/api/v2/webhooks/{endpoint.pk}", {"active": False}, format="json")

    [(_, _, action, _, changes)] = entries()
    assert action == "webhook.updated"
    assert changes["active"] == [True, False]
    assert changes["disabled_reason"] == ["", "Disabled by an administrator."]


def test_a_test_send_records_its_delivery(api):
    endpoint = EndpointFactory()

    delivery_id = api.post(f"/api/v2/webhooks/{endpoint.pk}/test").json()["data"]["id"]

    assert entries() == [
        (
            "api_key",
            f"{api.api_key.prefix}…",
            "webhook.tested",
            str(endpoint.pk),
            {"delivery_id": [None, delivery_id]},
        )
    ]


def test_a_retry_records_the_delivery_made_due(api):
    delivery = DeliveryFactory(status="failed", completed_at=timezone.now())

    api.post(f"/api/v2/deliveries/{delivery.pk}/retry")

    [(actor_type, _, action, resource_id, changes)] = entries("webhook_delivery")
    assert (actor_type, action, resource_id) == (
        "api_key",
        "webhook_delivery.retried",
        str(delivery.pk),
    )
    assert changes["status"] == ["failed", "pending"]
    assert changes["completed_at"][1] is None


def test_a_refused_retry_records_nothing(api):
    delivery = DeliveryFactory(endpoint=EndpointFactory(active=False))

    response = api.post(f"/api/v2/deliveries/{delivery.pk}/retry")

    assert response.status_code == 409
    assert entries("webhook_delivery") == []


def test_the_admin_test_action_is_recorded_by_the_user(client):
    user = UserFactory(role="administrator")
    client.force_login(user)
    endpoint = EndpointFactory()

    client.post(
        "/admin/webhooks/endpoint/", {"action": "send_test", "_selected_action": [endpoint.pk]}
    )

    assert [(row[0], row[1], row[2]) for row in entries()] == [
        ("user", user.email, "webhook.tested")
    ]


def _failing_for_six_days(receiver):
    endpoint = EndpointFactory(url=receiver.url, failing_since=timezone.now() - timedelta(days=6))
    DeliveryFactory(endpoint=endpoint)
    return endpoint


def test_a_task_disabling_a_failing_endpoint_is_recorded_as_the_task(private_targets):
    with Receiver(default=Reply(500)) as receiver:
        endpoint = _failing_for_six_days(receiver)
        deliver_due.delay()

    [(actor_type, actor_name, action, resource_id, changes)] = entries()
    assert (actor_type, actor_name, action, resource_id) == (
        "system",
        "task:webhooks.tasks.deliver_due",
        "webhook.updated",
        str(endpoint.pk),
    )
    assert changes["active"] == [True, False]


def test_the_command_disabling_a_failing_endpoint_is_recorded_as_the_command(private_targets):
    with Receiver(default=Reply(500)) as receiver:
        _failing_for_six_days(receiver)
        call_command("deliver_webhooks", stdout=StringIO())

    assert [(row[0], row[1], row[2]) for row in entries()] == [
        ("system", "command:deliver_webhooks", "webhook.updated")
    ]


def test_delivering_records_nothing(private_targets):
    with Receiver(default=Reply(200)) as receiver:
        DeliveryFactory(endpoint=EndpointFactory(url=receiver.url))
        call_command("deliver_webhooks", stdout=StringIO())

    assert AuditEvent.objects.count() == 0
