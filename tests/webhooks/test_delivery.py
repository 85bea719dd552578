"""One attempt at a time: claims, the retry schedule, timeouts, and disabling a dead endpoint."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tests.markers import requires_postgres
from tests.webhooks.factories import DeliveryFactory, EndpointFactory
from tests.webhooks.receiver import Receiver, Reply
from webhooks.delivery import (
    delivery_attempt,
    delivery_claim,
    retry_delay,
)
from webhooks.models import Attempt, Delivery, Endpoint

pytestmark = pytest.mark.django_db


def _make_due(delivery: Delivery) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())


def test_the_retry_schedule_follows_the_setting(settings):
    settings.WEBHOOK_RETRY_DELAYS = [5, 300, 1800]

    assert [retry_delay(n) for n in (1, 2, 3, 4)] == [
        timedelta(seconds=5),
        timedelta(seconds=300),
        timedelta(seconds=1800),
        None,
    ]


def test_failed_attempts_are_rescheduled_then_given_up(private_targets):
    private_targets.WEBHOOK_RETRY_DELAYS = [5, 300]
    with Receiver(default=Reply(500, b"down")) as receiver:
        delivery = DeliveryFactory(endpoint=EndpointFactory(url=receiver.url))

        before = timezone.now()
        delivery_attempt(delivery_id=delivery.pk)
        delivery.refresh_from_db()
        first_due = delivery.next_attempt_at - before

        _make_due(delivery)
        delivery_attempt(delivery_id=delivery.pk)
        delivery.refresh_from_db()
        second_due = delivery.next_attempt_at - before

        _make_due(delivery)
        delivery_attempt(delivery_id=delivery.pk)

    assert timedelta(seconds=5) <= first_due < timedelta(seconds=7)
    assert timedelta(seconds=300) <= second_due < timedelta(seconds=302)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempt_count, delivery.next_attempt_at) == (
        Delivery.Status.FAILED,
        3,
        None,
    )
    assert delivery.last_error == "HTTP 500"
    assert delivery.first_failed_at is not None
    assert list(delivery.attempts.values_list("number", "status_code")) == [
        (1, 500),
        (2, 500),
        (3, 500),
    ]


def test_an_attempt_that_is_not_due_sends_nothing(private_targets):
    with Receiver() as receiver:
        delivery = DeliveryFactory(
            endpoint=EndpointFactory(url=receiver.url),
            next_attempt_at=timezone.now() + timedelta(minutes=1),
        )

        assert delivery_attempt(delivery_id=delivery.pk) is None
        assert receiver.requests == []


def test_every_retry_carries_the_same_webhook_id_and_a_fresh_signature(private_targets):
    with Receiver(replies=[Reply(503), Reply(500)]) as receiver:
        endpoint = EndpointFactory(url=receiver.url)
        receiver.secret = endpoint.secret
        delivery = DeliveryFactory(endpoint=endpoint)
        for _ in range(3):
            _make_due(delivery)
            delivery_attempt(delivery_id=delivery.pk)

    assert [r.headers["webhook-id"] for r in receiver.requests] == [delivery.event.public_id] * 3
    assert len({r.body for r in receiver.requests}) == 1
    assert all(r.verified for r in receiver.requests)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SUCCEEDED


def test_a_claimed_delivery_cannot_be_claimed_again():
    delivery = DeliveryFactory()

    first = delivery_claim(delivery_id=delivery.pk)
    second = delivery_claim(delivery_id=delivery.pk)

    assert first is not None
    assert second is None
    delivery.refresh_from_db()
    assert delivery.next_attempt_at == first


def test_a_lease_left_by_a_crashed_worker_expires_and_can_be_claimed(private_targets):
    delivery = DeliveryFactory()
    delivery_claim(delivery_id=delivery.pk)  # ... and the worker died
    Delivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )

    assert delivery_claim(delivery_id=delivery.pk) is not None


def test_a_worker_whose_lease_was_taken_over_cannot_overwrite_the_outcome(private_targets):
    from webhooks.delivery import SendOutcome, _jobs_load, outcomes_record

    delivery = DeliveryFactory()
    stale_lease = delivery_claim(delivery_id=delivery.pk)
    [stale_job] = _jobs_load([delivery.pk], stale_lease)
    Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    fresh_lease = delivery_claim(delivery_id=delivery.pk)

    outcomes_record([(stale_job, SendOutcome(status_code=200))])

    delivery.refresh_from_db()
    assert (delivery.status, delivery.next_attempt_at) == (Delivery.Status.PENDING, fresh_lease)
    assert Attempt.objects.count() == 1  # the attempt happened, so it is logged


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_never_claim_the_same_attempt():
    delivery = DeliveryFactory()
    start = threading.Barrier(8)
    wins: list[object] = []

    def worker():
        start.wait()
        try:
            lease = delivery_claim(delivery_id=delivery.pk)
            if lease is not None:
                wins.append(lease)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(wins) == 1


def test_a_timeout_is_a_failed_attempt(private_targets):
    private_targets.WEBHOOK_TIMEOUT = 0.3
    with Receiver(default=Reply(200, delay=1.0)) as receiver:
        delivery = DeliveryFactory(endpoint=EndpointFactory(url=receiver.url))

        attempt = delivery_attempt(delivery_id=delivery.pk)

    assert (attempt.status_code, attempt.succeeded) == (None, False)
    assert attempt.error == "Timed out (WEBHOOK_TIMEOUT is 0.3 s)."
    assert attempt.duration_ms < 1000  # the receiver's answer (after 1 s) was not waited for
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.PENDING


def test_a_refused_connection_is_a_failed_attempt(private_targets):
    with Receiver() as receiver:
        url = receiver.url  # then closed: nothing listens on that port any more
    delivery = DeliveryFactory(endpoint=EndpointFactory(url=url))

    attempt = delivery_attempt(delivery_id=delivery.pk)

    assert attempt.status_code is None
    assert attempt.error.startswith("ConnectError")


def test_the_response_excerpt_is_capped(private_targets):
    with Receiver(default=Reply(200, b"x" * 5000)) as receiver:
        delivery = DeliveryFactory(endpoint=EndpointFactory(url=receiver.url))

        attempt = delivery_attempt(delivery_id=delivery.pk)

    assert attempt.response_excerpt == "x" * 1000


def test_a_disabled_endpoint_is_not_called(private_targets):
    with Receiver() as receiver:
        delivery = DeliveryFactory(endpoint=EndpointFactory(url=receiver.url, active=False))

        assert delivery_attempt(delivery_id=delivery.pk) is None
        assert receiver.requests == []
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.last_error == "Not sent: the endpoint is disabled."


def test_an_endpoint_failing_for_five_days_is_disabled_with_a_reason(api, private_targets):
    since = timezone.now() - timedelta(days=5, minutes=1)
    with Receiver(default=Reply(500)) as receiver:
        endpoint = EndpointFactory(url=receiver.url, failing_since=since)
        delivery = DeliveryFactory(endpoint=endpoint)
        waiting = DeliveryFactory(
            endpoint=endpoint, next_attempt_at=timezone.now() + timedelta(hours=1)
        )

        delivery_attempt(delivery_id=delivery.pk)

    endpoint.refresh_from_db()
    assert endpoint.active is False
    assert endpoint.disabled_at is not None
    assert endpoint.disabled_reason == (
        f"Every delivery attempt has failed since {since:%Y-%m-%d %H:%M} UTC (5 days or more); "
        "last error: HTTP 500. Fix the endpoint, then re-enable it."
    )
    shown = api.get(f"/api/v2/webhooks/{endpoint.pk}").json()["data"]
    assert (shown["active"], shown["disabled_reason"]) == (False, endpoint.disabled_reason)
    waiting.refresh_from_db()
    assert waiting.status == Delivery.Status.FAILED


def test_an_endpoint_failing_for_less_than_five_days_stays_active(private_targets):
    with Receiver(default=Reply(500)) as receiver:
        endpoint = EndpointFactory(
            url=receiver.url, failing_since=timezone.now() - timedelta(days=4, hours=23)
        )
        delivery_attempt(delivery_id=DeliveryFactory(endpoint=endpoint).pk)

    endpoint.refresh_from_db()
    assert (endpoint.active, endpoint.disabled_reason) == (True, "")


def test_the_first_failure_starts_the_streak_and_a_success_ends_it(private_targets):
    with Receiver(replies=[Reply(500)]) as receiver:
        endpoint = EndpointFactory(url=receiver.url)
        delivery = DeliveryFactory(endpoint=endpoint)

        delivery_attempt(delivery_id=delivery.pk)
        started = Endpoint.objects.get(pk=endpoint.pk).failing_since
        _make_due(delivery)
        delivery_attempt(delivery_id=delivery.pk)

    assert started is not None
    assert Endpoint.objects.get(pk=endpoint.pk).failing_since is None
