"""End to end with a real Celery worker process, Redis and PostgreSQL, and a local receiver that
checks signatures itself. These are the issue's "done when" tests."""

import json
import time
from contextlib import contextmanager

import pytest

from tests.celery_worker import celery_worker
from tests.markers import requires_postgres, requires_redis
from tests.webhooks.receiver import Receiver, Reply
from webhooks.models import Delivery, Event

pytestmark = [
    pytest.mark.worker,
    requires_postgres,
    requires_redis,
    pytest.mark.django_db(transaction=True),
]

# The worker is another process: it reads these from its environment.
WORKER_ENV = {
    "WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
    "WEBHOOK_RETRY_DELAYS": "1,1,1",
    "WEBHOOK_TIMEOUT": "5",
}


@pytest.fixture(autouse=True)
def _clean_broker(settings):
    from config.celery import app

    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True  # registration of the local receiver
    app.control.purge()  # no message left over from another test
    yield
    app.control.purge()


def _register(api, receiver: Receiver, events: list[str]) -> int:
    response = api.post("/api/v2/webhooks", {"url": receiver.url, "events": events}, format="json")
    assert response.status_code == 201
    receiver.secret = response.json()["data"]["secret"]
    return response.json()["data"]["id"]


def _create_customer(api, n: int) -> dict:
    response = api.post(
        "/api/v2/customers",
        {"account": f"Customer {n}", "email": f"c{n}@example.com"},
        format="json",
    )
    assert response.status_code == 201
    return response.json()["data"]


def _wait(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


@contextmanager
def broker_unreachable():
    """Points this process's Celery app at a closed port, as if Redis were down."""
    from config.celery import app

    def reset_pools():
        app._pool = None
        app.amqp.__dict__.pop("_producer_pool", None)

    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"
    reset_pools()
    try:
        yield
    finally:
        app.conf.broker_url = original
        reset_pools()


def test_a_committed_change_is_delivered_signed(api):
    with Receiver() as receiver, celery_worker(extra_env=WORKER_ENV):
        _register(api, receiver, ["customer.created"])

        customer = _create_customer(api, 1)
        [received] = receiver.wait_for(1)

    assert received.verified is True, received.verify_error
    body = json.loads(received.body)
    event = Event.objects.get()
    assert body == {
        "id": event.public_id,
        "type": "customer.created",
        "created_at": event.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "data": customer,
    }
    assert received.headers["webhook-id"] == event.public_id
    assert received.headers["content-type"] == "application/json"


def test_retries_after_500s_carry_the_same_webhook_id_and_are_logged(api):
    with Receiver(replies=[Reply(500, b"first"), Reply(500, b"second")]) as receiver:
        with celery_worker(beat=True, extra_env=WORKER_ENV):
            endpoint_id = _register(api, receiver, ["*"])
            _create_customer(api, 1)

            requests = receiver.wait_for(3, timeout=60)
            delivery = _wait(
                lambda: Delivery.objects.filter(status=Delivery.Status.SUCCEEDED).first()
            )

    event = Event.objects.get()
    assert [r.headers["webhook-id"] for r in requests] == [event.public_id] * 3
    assert all(r.verified for r in requests)
    response = api.get(f"/api/v2/webhooks/{endpoint_id}/deliveries")
    [shown] = response.json()["data"]
    assert (shown["id"], shown["status"], shown["attempt_count"]) == (delivery.pk, "succeeded", 3)
    assert [(a["number"], a["status_code"], a["response_excerpt"]) for a in shown["attempts"]] == [
        (1, 500, "first"),
        (2, 500, "second"),
        (3, 200, "ok"),
    ]


def test_changes_committed_while_the_worker_is_stopped_are_all_delivered(api):
    with Receiver() as receiver:
        _register(api, receiver, ["customer.created"])
        # No worker: the changes commit, their tasks wait in Redis.
        for n in range(5):
            _create_customer(api, n)
        time.sleep(0.5)
        assert receiver.requests == []
        assert Event.objects.filter(fanned_out_at__isnull=True).count() == 5

        with celery_worker(extra_env=WORKER_ENV):
            received = receiver.wait_for(5)
            _wait(lambda: Delivery.objects.filter(status="succeeded").count() == 5)

    assert {r.headers["webhook-id"] for r in received} == set(
        Event.objects.values_list("public_id", flat=True)
    )
    assert all(r.verified for r in received)


def test_events_whose_messages_were_lost_are_delivered_by_the_sweep(api):
    with Receiver() as receiver:
        _register(api, receiver, ["customer.created"])
        for n in range(3):
            _create_customer(api, n)
        from config.celery import app

        app.control.purge()  # the broker lost every message (say, Redis restarted empty)

        with celery_worker(beat=True, extra_env=WORKER_ENV):
            received = receiver.wait_for(3, timeout=40)

    assert len({r.headers["webhook-id"] for r in received}) == 3
    assert Event.objects.filter(fanned_out_at__isnull=True).count() == 0


def test_a_change_committed_while_the_broker_is_unreachable_goes_out_via_the_sweep(api):
    with Receiver() as receiver:
        _register(api, receiver, ["customer.created"])

        started = time.monotonic()
        with broker_unreachable():
            customer = _create_customer(api, 1)
        elapsed = time.monotonic() - started

        # The change and its event are committed; nothing was queued.
        assert elapsed < 3
        event = Event.objects.get(type="customer.created")
        assert event.fanned_out_at is None
        assert event.data == customer

        # Redis is back: the beat sweep finds the event and delivers it.
        with celery_worker(beat=True, extra_env=WORKER_ENV):
            [received] = receiver.wait_for(1, timeout=40)

    assert received.verified is True
    assert received.headers["webhook-id"] == event.public_id


def _wait_until_quiet(receiver, quiet: float = 1.0, timeout: float = 15.0) -> None:
    """Until the receiver has taken no new request for `quiet` seconds: on a loaded machine a
    request the dead worker had already written can reach the receiver's thread late."""
    deadline = time.monotonic() + timeout
    seen, since = len(receiver.requests), time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - since < quiet:
        time.sleep(0.1)
        if len(receiver.requests) != seen:
            seen, since = len(receiver.requests), time.monotonic()


def _in_flight_at_the_kill() -> set[str]:
    """Events whose delivery a dead worker had claimed and not logged: the only sends that may
    have reached the receiver without the database knowing. Read from the database (the
    claim's lease is still on them), not from what the receiver has seen so far: on a loaded
    machine a request the dead worker wrote can reach the receiver seconds later."""
    return set(
        Delivery.objects.filter(claimed_until__isnull=False).values_list(
            "event__public_id", flat=True
        )
    )


def test_a_worker_killed_in_the_middle_of_a_batch_loses_nothing(api):
    # Issue 22: a run has a batch of sends in flight when its worker is killed (SIGKILL: no
    # clean-up of any kind). Every event still arrives; the only duplicates are sends that
    # were in flight at the kill (received, but the worker died before logging them).
    from webhooks.models import Attempt
    from webhooks.services import events_publish_many

    env = {**WORKER_ENV, "WEBHOOK_TIMEOUT": "2"}  # lease 2 x 2 + 15 = 19 s
    with Receiver(default=Reply(200, delay=0.3)) as receiver:
        _register(api, receiver, ["customer.created"])
        with celery_worker(extra_env=env) as worker:
            events_publish_many(event_type="customer.created", items=[{"id": n} for n in range(40)])
            receiver.wait_for(10)
            worker.kill()
            worker.wait(timeout=10)
        in_flight = _in_flight_at_the_kill()
        _wait_until_quiet(receiver)  # bytes the dead worker already sent reach the receiver
        received_before = {r.headers["webhook-id"] for r in receiver.requests}
        logged = set(Attempt.objects.values_list("delivery__event__public_id", flat=True))
        assert 0 < len(received_before) < 40
        assert received_before - logged  # the kill did land in the middle of a batch
        assert received_before - logged <= in_flight

        with celery_worker(beat=True, extra_env=env):
            _wait(
                lambda: Delivery.objects.filter(status=Delivery.Status.SUCCEEDED).count() == 40,
                timeout=90,
            )
        received = [r.headers["webhook-id"] for r in receiver.requests]

    every = set(Event.objects.values_list("public_id", flat=True))
    assert set(received) == every
    duplicates = {webhook_id for webhook_id in received if received.count(webhook_id) > 1}
    assert duplicates <= in_flight
    assert all(r.verified for r in receiver.requests)


def test_one_of_two_workers_killed_mid_batch_the_other_delivers_the_rest(api):
    # Issue 22, with claims shared: a bulk publish gets a helper run, so two workers claim
    # side by side; one is killed in the middle of its batch and the survivor (with the
    # sweep, once the dead worker's leases run out) delivers everything. No event is sent by
    # both at once, none is lost, and only the dead worker's in-flight sends repeat.
    from webhooks.models import Attempt
    from webhooks.services import events_publish_many

    env = {**WORKER_ENV, "WEBHOOK_TIMEOUT": "2"}  # lease 2 x 2 + 15 = 19 s
    count = 240  # at least 200 deliveries: the publish queues a helper run
    with Receiver(default=Reply(200, delay=0.2)) as receiver:
        _register(api, receiver, ["customer.created"])
        with celery_worker(beat=True, extra_env=env) as survivor:
            with celery_worker(extra_env=env) as victim:
                events_publish_many(
                    event_type="customer.created", items=[{"id": n} for n in range(count)]
                )
                receiver.wait_for(40)
                victim.kill()
                victim.wait(timeout=10)
                claimed_at_kill = _in_flight_at_the_kill()
            _wait(
                lambda: Delivery.objects.filter(status=Delivery.Status.SUCCEEDED).count() == count,
                timeout=120,
            )
            assert survivor.poll() is None
        _wait_until_quiet(receiver)
        received = [r.headers["webhook-id"] for r in receiver.requests]

    every = set(Event.objects.values_list("public_id", flat=True))
    assert set(received) == every
    duplicates = {webhook_id for webhook_id in received if received.count(webhook_id) > 1}
    assert duplicates <= claimed_at_kill
    # Each delivery's attempts are numbered one after the other: never two at once.
    numbers = list(Attempt.objects.values_list("delivery_id", "number"))
    assert len(numbers) == len(set(numbers))
    assert all(r.verified for r in receiver.requests)
