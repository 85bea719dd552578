"""Publishing events into the outbox. Call these inside the service's own `atomic()` block so
the event commits, or rolls back, with the change it announces."""

from api.serialization import to_json_data
from webhooks.models import Event


def event_publish(*, event_type: str, data: dict) -> Event:
    """Writes one event; `data` is the resource as the API shows it."""
    return Event.objects.create(type=event_type, data=to_json_data(data))


def events_publish_many(*, event_type: str, items: list[dict]) -> list[Event]:
    """One INSERT for many events of a type (batch endpoints)."""
    return Event.objects.bulk_create(
        [Event(type=event_type, data=to_json_data(item)) for item in items]
    )
