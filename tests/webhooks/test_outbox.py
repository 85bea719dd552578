"""The outbox: events commit with their change, fan out once per subscribed endpoint, and reach
the sweep when queueing fails."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError

from core.db import atomic
from tests.factories import CustomerFactory
from tests.webhooks.factories import EndpointFactory, EventFactory
from tests.webhooks.receiver import Receiver
from webhooks import tasks
from webhooks.delivery import events_fan_out
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

    with mock.patch.object(tasks.attempt_delivery, "apply_async") as queued:
        with django_capture_on_commit_callbacks(execute=True):
            with atomic():
                event = event_publish(event_type="customer.created", data={"id": 3})

    deliveries = Delivery.objects.filter(event=event).order_by("endpoint_id")
    assert [d.endpoint_id for d in deliveries] == [everything.pk, invoices.pk]
    assert {call.kwargs["args"] for call in queued.call_args_list} == {(d.pk,) for d in deliveries}
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


def test_the_sweep_queues_due_deliveries_once_per_requeue_window():
    EndpointFactory(events=["*"])
    EventFactory(created_at=timezone.now() + timedelta(seconds=1))

    with mock.patch.object(tasks.attempt_delivery, "apply_async") as queued:
        first = tasks.sweep_due_deliveries(db_alias="default")
        second = tasks.sweep_due_deliveries(db_alias="default")

    assert first == {"default": {"fanned_out": 1, "due": 0, "queued": 1}}
    assert second == {"default": {"fanned_out": 0, "due": 0, "queued": 0}}
    assert queued.call_count == 1


def test_the_sweep_requeues_a_delivery_whose_task_was_lost():
    EndpointFactory(events=["*"])
    EventFactory(created_at=timezone.now() + timedelta(seconds=1))
    with mock.patch.object(tasks.attempt_delivery, "apply_async"):
        tasks.sweep_due_deliveries(db_alias="default")
    Delivery.objects.update(queued_at=timezone.now() - timedelta(minutes=2))

    with mock.patch.object(tasks.attempt_delivery, "apply_async") as queued:
        result = tasks.sweep_due_deliveries(db_alias="default")

    assert result == {"default": {"fanned_out": 0, "due": 1, "queued": 1}}
    queued.assert_called_once_with(
        args=(Delivery.objects.get().pk,), kwargs={"db_alias": "default"}, retry=False
    )


def test_customer_services_publish_through_the_outbox(django_capture_on_commit_callbacks):
    from customers.services import customer_update

    customer = CustomerFactory()
    with mock.patch.object(tasks.dispatch_events, "apply_async") as queued:
        with django_capture_on_commit_callbacks(execute=True):
            customer_update(customer=customer, phone="555-9999")

    event = Event.objects.get()
    assert (event.type, event.data["phone"]) == ("customer.updated", "555-9999")
    assert queued.call_count == 1
