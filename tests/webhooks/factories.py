import factory
from django.utils import timezone

from webhooks.models import Delivery, Endpoint, Event
from webhooks.signing import secret_new


class EndpointFactory(factory.django.DjangoModelFactory):
    """Created directly (no URL check): tests point these at local receivers."""

    class Meta:
        model = Endpoint

    url = "https://hooks.example.com/ledgerline"
    events = factory.LazyFunction(lambda: ["*"])
    secret = factory.LazyFunction(secret_new)


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    type = "customer.created"
    data = factory.Sequence(lambda n: {"id": n, "account": f"Customer {n}"})


class DeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Delivery

    event = factory.SubFactory(EventFactory, fanned_out_at=factory.LazyFunction(timezone.now))
    endpoint = factory.SubFactory(EndpointFactory)
    next_attempt_at = factory.LazyFunction(timezone.now)
