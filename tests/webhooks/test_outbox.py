"""The outbox: events commit with their change, fan out once per subscribed endpoint, and reach
the sweep when queueing fails."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError

from core.db import atomic
from tests.factories import CustomerFactory
from tests.webhooks.factories import DeliveryFactory, EndpointFactory, EventFactory
from tests.webhooks.receiver import Receiver
from webhooks import delivery, tasks
from webhooks.delivery import delivery_claim, events_fan_out
from webhooks.models import Delivery, Event
from webhooks.services import event_publish, events_publish_many

pytestmark = pytest.mark.django_db


def test_an_event_rolls_back_with_its_change():
    class Boom(Exception):
        """Raised inside the block to roll it back."""

    with pytest.raises(Boom), atomic():
        event_publish(event_type="customer.created", data={"id": 1})
        raise Boom

    assert Event.objects.count() == 0


def test_an_unknown_event_type_is_a_programming_error():
    with pytest.raises(ValueError, match="'customer.eaten' is not in"):
        event_publish(event_type="customer.eaten", data={})

    assert Event.objects.count() == 0


def test_the_payload_is_stored_as_the_api_shows_it():
    from decimal import Decimal

    event = event_publish(
        event_type="payment.received",
        data={"amount": Decimal("1500.50"), "date": timezone.datetime(2024, 1, 15).date()},
    )

    event.refresh_from_db()
    assert event.data == {"amount": 1500.5, "date": "2024-01-15"}


def test_after_commit_each_subscribed_active_endpoint_gets_one_delivery(
    django_capture_on_commit_callbacks,
):
    everything = EndpointFactory(events=["*"])
    invoices = EndpointFactory(events=["invoice.created", "customer.created"])
    EndpointFactory(events=["lead.created"])
    EndpointFactory(events=["*"], active=False)

    # The run itself is left out: these endpoints' URLs are not to be called.
    with mock.patch.object(delivery, "deliveries_run", return_value=delivery.RunSummary()) as run:
        with django_capture_on_commit_callbacks(execute=True):
            with atomic():
                event = event_publish(event_type="customer.created", data={"id": 3})

    deliveries = Delivery.objects.filter(event=event).order_by("endpoint_id")
    assert [d.endpoint_id for d in deliveries] == [everything.pk, invoices.pk]
    assert run.call_count == 1
    event.refresh_from_db()
    assert event.fanned_out_at is not None


def test_fan_out_is_idempotent():
    EndpointFactory(events=["*"])
    event = EventFactory()

    events_fan_out(event_ids=[event.pk])
    Event.objects.filter(pk=event.pk).update(fanned_out_at=None)  # as if a task ran twice
    events_fan_out(event_ids=[event.pk])

    assert Delivery.objects.filter(event=event).count() == 1


def test_an_endpoint_registered_after_the_event_does_not_receive_it():
    event = EventFactory(created_at=timezone.now() - timedelta(minutes=5))
    EndpointFactory(events=["*"])

    events_fan_out(event_ids=[event.pk])

    assert Delivery.objects.count() == 0


def test_a_batch_publishes_one_event_per_item_and_queues_one_task(
    django_capture_on_commit_callbacks,
):
    with mock.patch.object(tasks.dispatch_events, "apply_async") as queued:
        with django_capture_on_commit_callbacks(execute=True), atomic():
            events = events_publish_many(
                event_type="customer.created", items=[{"id": 1}, {"id": 2}, {"id": 3}]
            )

    assert [e.data for e in Event.objects.all()] == [{"id": 1}, {"id": 2}, {"id": 3}]
    queued.assert_called_once_with(
        args=([e.pk for e in events],), kwargs={"db_alias": "default"}, retry=False
    )


def test_a_broker_outage_at_commit_loses_nothing(
    api, private_targets, django_capture_on_commit_callbacks, caplog
):
    # Given an endpoint, and a broker that refuses every message
    with Receiver() as receiver:
        endpoint = EndpointFactory(url=receiver.url, events=["customer.created"])
        receiver.secret = endpoint.secret
        refused = OperationalError("Error 111 connecting to 127.0.0.1:1. Connection refused.")
        with mock.patch.object(tasks.dispatch_events, "apply_async", side_effect=refused):
            # When a customer is created through the API
            with django_capture_on_commit_callbacks(execute=True):
                response = api.post(
                    "/api/v2/customers",
                    {"account": "Acme Corp", "email": "billing@acme.example.com"},
                    format="json",
                )

        # Then the change is committed, its event waits in the outbox, nothing was sent yet
        assert response.status_code == 201
        event = Event.objects.get(type="customer.created")
        assert event.fanned_out_at is None
        assert receiver.requests == []
        assert "the sweep will deliver them" in caplog.text

        # And the beat sweep delivers it once the broker is back
        tasks.sweep_due_deliveries(db_alias="default")

        assert len(receiver.requests) == 1
    assert receiver.requests[0].verified is True
    assert receiver.requests[0].headers["webhook-id"] == event.public_id
    assert Delivery.objects.get().status == Delivery.Status.SUCCEEDED


def test_the_sweep_fans_out_a_waiting_event_and_queues_one_run():
    EndpointFactory(events=["*"])
    EventFactory(created_at=timezone.now() + timedelta(seconds=1))

    with mock.patch.object(tasks.deliver_due, "apply_async") as queued:
        first = tasks.sweep_due_deliveries(db_alias="default")
        second = tasks.sweep_due_deliveries(db_alias="default")

    assert first == {"default": {"fanned_out": 1, "due": 0, "queued": 1}}
    assert second == {"default": {"fanned_out": 0, "due": 0, "queued": 0}}
    queued.assert_called_once_with(kwargs={"db_alias": "default"}, retry=False)


def test_a_backlog_is_queued_as_a_few_runs_and_each_due_delivery_at_most_once():
    # Issue 13 item 9: 6,430 due deliveries made 11,242 attempt tasks. Now the sweep marks
    # each due delivery once per REQUEUE_AFTER and queues a bounded number of runs (each run
    # claims whatever is due), however often it runs.
    endpoint = EndpointFactory(events=["*"])
    due = timezone.now() - timedelta(seconds=1)
    events = EventFactory.create_batch(1500, fanned_out_at=timezone.now())
    Delivery.objects.bulk_create(
        [Delivery(event=event, endpoint=endpoint, next_attempt_at=due) for event in events]
    )

    with mock.patch.object(tasks.deliver_due, "apply_async") as queued:
        results = [tasks.sweep_due_deliveries(db_alias="default") for _ in range(5)]

    assert results[0] == {"default": {"fanned_out": 0, "due": 1500, "queued": 4}}
    assert results[1:] == [{"default": {"fanned_out": 0, "due": 0, "queued": 0}}] * 4
    assert queued.call_count == 4
    assert Delivery.objects.filter(queued_at__isnull=True).count() == 0


def test_the_sweep_queues_again_for_a_delivery_whose_run_was_lost():
    EndpointFactory(events=["*"])
    EventFactory(created_at=timezone.now() + timedelta(seconds=1))
    with mock.patch.object(tasks.deliver_due, "apply_async"):
        tasks.sweep_due_deliveries(db_alias="default")
    Delivery.objects.update(queued_at=timezone.now() - timedelta(minutes=2))

    with mock.patch.object(tasks.deliver_due, "apply_async") as queued:
        result = tasks.sweep_due_deliveries(db_alias="default")

    assert result == {"default": {"fanned_out": 0, "due": 1, "queued": 1}}
    queued.assert_called_once_with(kwargs={"db_alias": "default"}, retry=False)


def test_a_claim_clears_the_mark_so_a_crashed_run_is_queued_again_once_its_lease_ends():
    endpoint = EndpointFactory(events=["*"])
    delivery_row = DeliveryFactory(endpoint=endpoint, queued_at=timezone.now())

    lease_end = delivery_claim(delivery_id=delivery_row.pk)  # ... and the worker died
    Delivery.objects.filter(pk=delivery_row.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )

    delivery_row.refresh_from_db()
    assert lease_end is not None
    assert delivery_row.queued_at is None
    with mock.patch.object(tasks.deliver_due, "apply_async") as queued:
        result = tasks.sweep_due_deliveries(db_alias="default")
    assert result == {"default": {"fanned_out": 0, "due": 1, "queued": 1}}
    assert queued.call_count == 1


def test_customer_changes_publish_through_the_outbox(api, django_capture_on_commit_callbacks):
    # Through the API, so the test does not depend on the customers room's service signature.
    customer = CustomerFactory()
    with mock.patch.object(tasks.dispatch_events, "apply_async") as queued:
        with django_capture_on_commit_callbacks(execute=True):
            response = api.patch(
                f"/api/v2/customers/{customer.pk}", {"phone": "555-9999"}, format="json"
            )
    assert response.status_code == 200

    event = Event.objects.get()
    assert (event.type, event.data["phone"]) == ("customer.updated", "555-9999")
    assert queued.call_count == 1
