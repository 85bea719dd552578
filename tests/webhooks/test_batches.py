"""Batched delivery (issue 22): claims of many deliveries at once, per-endpoint shares, runs
that send concurrently, one write per batch, and attempts bounded well inside their lease."""

import json
import socket
import threading
import time
from datetime import timedelta

import pytest
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from tests.markers import requires_postgres
from tests.webhooks.factories import DeliveryFactory, EndpointFactory, EventFactory
from tests.webhooks.receiver import Receiver, Reply
from webhooks.delivery import (
    SendOutcome,
    claim_lease,
    deliveries_claim,
    deliveries_run,
    delivery_attempt,
    outcomes_record,
)
from webhooks.models import Attempt, Delivery, Endpoint

pytestmark = pytest.mark.django_db


def _due_deliveries(endpoint: Endpoint, count: int, *, ago: int = 10) -> list[Delivery]:
    start = timezone.now() - timedelta(seconds=ago)
    return [
        DeliveryFactory(endpoint=endpoint, next_attempt_at=start + timedelta(milliseconds=n))
        for n in range(count)
    ]


def test_a_claim_takes_the_oldest_due_up_to_the_limit_and_the_share_per_endpoint():
    slow, fast = EndpointFactory(), EndpointFactory()
    slow_rows = _due_deliveries(slow, 6, ago=20)  # the oldest: they would fill any batch
    fast_rows = _due_deliveries(fast, 6, ago=10)
    DeliveryFactory(endpoint=fast, next_attempt_at=timezone.now() + timedelta(hours=1))

    jobs = deliveries_claim(limit=10, per_endpoint=3, busy={slow.pk: 1})

    assert [job.delivery_id for job in jobs] == [d.pk for d in slow_rows[:2] + fast_rows[:3]]
    lease_end = jobs[0].lease_end
    assert {job.lease_end for job in jobs} == {lease_end}
    claimed = Delivery.objects.filter(next_attempt_at=lease_end)
    assert sorted(claimed.values_list("id", flat=True)) == sorted(j.delivery_id for j in jobs)
    assert set(claimed.values_list("claimed_until", flat=True)) == {lease_end}


def test_a_claim_skips_disabled_endpoints_and_what_is_already_claimed():
    endpoint = EndpointFactory()
    rows = _due_deliveries(endpoint, 3)
    _due_deliveries(EndpointFactory(active=False), 2)

    first = deliveries_claim(limit=2, per_endpoint=10)
    second = deliveries_claim(limit=10, per_endpoint=10)
    third = deliveries_claim(limit=10, per_endpoint=10)

    assert [j.delivery_id for j in first] == [rows[0].pk, rows[1].pk]
    assert [j.delivery_id for j in second] == [rows[2].pk]
    assert third == []


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_never_hand_out_a_delivery_twice():
    endpoints = [EndpointFactory(), EndpointFactory()]
    for endpoint in endpoints:
        _due_deliveries(endpoint, 40)
    start = threading.Barrier(8)
    claimed: list[list[int]] = []

    def worker():
        start.wait()
        try:
            mine: list[int] = []
            for _ in range(5):
                mine += [job.delivery_id for job in deliveries_claim(limit=4, per_endpoint=4)]
            claimed.append(mine)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    every = [pk for mine in claimed for pk in mine]
    assert len(every) == len(set(every))
    assert len(every) > 0
    assert Delivery.objects.filter(claimed_until__isnull=False).count() == len(every)


def test_a_batch_of_outcomes_is_written_with_the_same_queries_as_one(
    django_assert_num_queries,
):
    endpoint = EndpointFactory()
    _due_deliveries(endpoint, 21)
    single = deliveries_claim(limit=1, per_endpoint=50)
    batch = deliveries_claim(limit=50, per_endpoint=50)

    # PostgreSQL: one statement (lock, update, log, streaks); elsewhere one transaction.
    queries = 1 if connection.vendor == "postgresql" else 5
    with django_assert_num_queries(queries) as one:
        outcomes_record([(job, SendOutcome(status_code=200)) for job in single])
    with django_assert_num_queries(queries) as twenty:
        outcomes_record([(job, SendOutcome(status_code=200)) for job in batch])

    assert len(batch) == 20
    assert len(one.captured_queries) == len(twenty.captured_queries)
    assert Delivery.objects.filter(status="succeeded").count() == 21
    assert Attempt.objects.filter(succeeded=True, number=1).count() == 21


def test_failures_in_a_batch_follow_the_retry_schedule_and_start_the_streak(settings):
    settings.WEBHOOK_RETRY_DELAYS = [30]
    endpoint = EndpointFactory()
    first_try, last_try = _due_deliveries(endpoint, 2)
    Delivery.objects.filter(pk=last_try.pk).update(attempt_count=1)
    jobs = deliveries_claim(limit=10)

    before = timezone.now()
    outcomes_record([(job, SendOutcome(status_code=503)) for job in jobs])

    first_try.refresh_from_db()
    last_try.refresh_from_db()
    assert (first_try.status, first_try.attempt_count, first_try.last_error) == (
        "pending",
        1,
        "HTTP 503",
    )
    assert timedelta(seconds=30) <= first_try.next_attempt_at - before < timedelta(seconds=32)
    assert (last_try.status, last_try.attempt_count, last_try.next_attempt_at) == (
        "failed",
        2,
        None,
    )
    assert first_try.claimed_until is None
    assert Endpoint.objects.get(pk=endpoint.pk).failing_since is not None


def test_an_outcome_for_a_delivery_deleted_meanwhile_is_dropped():
    endpoint = EndpointFactory()
    _due_deliveries(endpoint, 2)
    jobs = deliveries_claim(limit=10)
    endpoint.delete()  # with its deliveries, while the sends were in flight

    assert outcomes_record([(job, SendOutcome(status_code=200)) for job in jobs]) == []
    assert Attempt.objects.count() == 0


def test_a_run_delivers_everything_due_to_every_endpoint_signed(private_targets):
    with Receiver() as first, Receiver(replies=[Reply(500)]) as second:
        endpoints = []
        for receiver in (first, second):
            endpoint = EndpointFactory(url=receiver.url, events=["*"])
            receiver.secret = endpoint.secret
            endpoints.append(endpoint)
        events = EventFactory.create_batch(
            15, created_at=timezone.now() + timedelta(seconds=1)
        )  # not fanned out yet: the run does it

        summary = deliveries_run(seconds=30, once=True)

    assert (summary.events_fanned_out, summary.attempts, summary.succeeded) == (15, 30, 29)
    assert (summary.retrying, summary.more) == (1, False)
    ids = sorted(e.public_id for e in events)
    for receiver in (first, second):
        assert sorted(r.headers["webhook-id"] for r in receiver.requests) == ids
        assert all(r.verified for r in receiver.requests)
        assert {json.loads(r.body)["type"] for r in receiver.requests} == {"customer.created"}
    assert Delivery.objects.filter(status="succeeded").count() == 29


def test_a_slow_endpoint_gets_only_its_share_of_the_sends(private_targets):
    private_targets.WEBHOOK_CONCURRENCY = 6
    private_targets.WEBHOOK_ENDPOINT_CONCURRENCY = 2
    with (
        Receiver(default=Reply(200, delay=0.3)) as slow_receiver,
        Receiver(default=Reply(200, delay=0.05)) as fast_receiver,
    ):
        slow = EndpointFactory(url=slow_receiver.url)
        fast = EndpointFactory(url=fast_receiver.url)
        _due_deliveries(slow, 6)
        _due_deliveries(fast, 12)

        summary = deliveries_run(seconds=30)

    assert summary.succeeded == 18
    assert slow_receiver.max_active <= 2
    assert fast_receiver.max_active <= 2
    assert len(slow_receiver.requests) == 6
    assert len(fast_receiver.requests) == 12


def test_an_attempt_is_cut_off_at_the_timeout_even_when_the_receiver_trickles(
    private_targets,
):
    # httpx's timeout is per phase: a receiver sending one header byte every 0.1 s never
    # trips it. The whole attempt is bounded instead, well inside the claim's lease, so a
    # second worker can never send the same attempt beside this one (issue 13 item 9).
    private_targets.WEBHOOK_TIMEOUT = 0.5
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def trickle():
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\n")
            while not stop.wait(0.1):
                try:
                    conn.sendall(b"x")
                except OSError:
                    return

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    port = listener.getsockname()[1]
    delivery = DeliveryFactory(endpoint=EndpointFactory(url=f"http://127.0.0.1:{port}/in"))
    try:
        attempt = delivery_attempt(delivery_id=delivery.pk)
    finally:
        stop.set()
        listener.close()

    assert attempt.error == "Timed out (WEBHOOK_TIMEOUT is 0.5 s)."
    assert attempt.duration_ms < 2000
    assert claim_lease() == timedelta(seconds=16)  # 2 x WEBHOOK_TIMEOUT + 15 s


def test_a_lease_outlasts_the_longest_attempt(settings):
    settings.WEBHOOK_TIMEOUT = 10.0

    assert claim_lease() == timedelta(seconds=35)


def test_retry_of_a_delivery_in_flight_is_a_409_and_changes_nothing(api):
    delivery = DeliveryFactory()
    lease_end = deliveries_claim(limit=1)[0].lease_end  # a run is sending it

    response = api.post(f"/api/v2/deliveries/{delivery.pk}/retry")

    assert response.status_code == 409
    assert response.json()["message"] == (
        "The delivery is being sent right now; retry once this attempt is logged."
    )
    delivery.refresh_from_db()
    assert (delivery.next_attempt_at, delivery.claimed_until) == (lease_end, lease_end)


def _waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


@requires_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("lower_one", ["clears", "starts"])
def test_recording_locks_the_endpoints_whose_streak_moves_in_id_order(lower_one):
    # Two recorders moving the streaks of the same endpoints in opposite directions deadlock
    # if each locks them in its own order. In id order, a recorder that waits for the higher
    # endpoint already holds the lower one, so a second recorder waits instead.
    low, high = EndpointFactory(), EndpointFactory()
    clearing = low if lower_one == "clears" else high
    Endpoint.objects.filter(pk=clearing.pk).update(failing_since=timezone.now())
    _due_deliveries(low, 1)
    _due_deliveries(high, 1)
    jobs = deliveries_claim(limit=10, per_endpoint=10)
    outcomes = [
        (job, SendOutcome(status_code=200 if job.endpoint_id == clearing.pk else 503))
        for job in jobs
    ]
    held, release, done = threading.Event(), threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def hold_the_higher_endpoint():
        try:
            with transaction.atomic():
                Endpoint.objects.select_for_update().get(pk=high.pk)
                held.set()
                release.wait(30)
        finally:
            connection.close()

    def record():
        try:
            outcomes_record(outcomes)
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)
        finally:
            done.set()
            connection.close()

    holder = threading.Thread(target=hold_the_higher_endpoint)
    holder.start()
    assert held.wait(10)
    recorder = threading.Thread(target=record)
    recorder.start()
    try:
        deadline = time.monotonic() + 10
        while not _waiting_on_a_lock() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not done.is_set()
        with pytest.raises(OperationalError), transaction.atomic():
            Endpoint.objects.select_for_update(nowait=True).get(pk=low.pk)
    finally:
        release.set()
        holder.join()
        recorder.join()

    assert errors == []
    streaks = dict(Endpoint.objects.values_list("pk", "failing_since"))
    assert streaks[clearing.pk] is None
    assert streaks[(high if clearing is low else low).pk] is not None
