from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests.webhooks.factories import DeliveryFactory, EndpointFactory, EventFactory
from tests.webhooks.receiver import Receiver, Reply
from webhooks.models import Attempt, Delivery

pytestmark = pytest.mark.django_db


def _run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_deliver_webhooks_fans_out_and_sends_everything_due(private_targets):
    with Receiver(replies=[Reply(500)]) as receiver:
        endpoint = EndpointFactory(url=receiver.url, events=["*"])
        receiver.secret = endpoint.secret
        future = timezone.now() + timedelta(seconds=1)
        events = [EventFactory(created_at=future) for _ in range(3)]
        DeliveryFactory(endpoint=endpoint, next_attempt_at=timezone.now() + timedelta(hours=1))

        output = _run("deliver_webhooks")

        assert len(receiver.requests) == 3
    assert output.strip() == (
        "Events fanned out: 3. Attempts: 3 (2 succeeded, 1 will be retried, 0 gave up)."
    )
    assert {r.headers["webhook-id"] for r in receiver.requests} == {e.public_id for e in events}
    assert all(r.verified for r in receiver.requests)
    assert Delivery.objects.filter(status="pending").count() == 2  # the retry and the future one


def test_deliver_webhooks_with_nothing_due_says_so():
    assert _run("deliver_webhooks").strip() == (
        "Events fanned out: 0. Attempts: 0 (0 succeeded, 0 will be retried, 0 gave up)."
    )


def test_deliver_webhooks_reports_a_disabled_endpoint(private_targets):
    with Receiver(default=Reply(500)) as receiver:
        endpoint = EndpointFactory(
            url=receiver.url, failing_since=timezone.now() - timedelta(days=6)
        )
        DeliveryFactory(endpoint=endpoint)

        output = _run("deliver_webhooks")

    assert f"Endpoints disabled: {endpoint.pk}." in output


def test_prune_deletes_only_old_attempts():
    delivery = DeliveryFactory()
    old = Attempt.objects.create(
        delivery=delivery, number=1, created_at=timezone.now() - timedelta(days=31)
    )
    recent = Attempt.objects.create(
        delivery=delivery, number=2, created_at=timezone.now() - timedelta(days=29)
    )

    output = _run("prune_webhook_attempts", "--days", "30")

    assert output.strip() == "Deleted 1 webhook attempt(s) older than 30 day(s)."
    assert list(Attempt.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not Attempt.objects.filter(pk=old.pk).exists()
    assert Delivery.objects.filter(pk=delivery.pk).exists()


def test_prune_refuses_negative_days():
    with pytest.raises(CommandError, match="--days must be 0 or more"):
        call_command("prune_webhook_attempts", "--days", "-1")
