import django_filters

from core.filters import FilterSet, IdFilter, StrictBooleanFilter
from webhooks.models import Delivery, Endpoint


class EndpointFilter(FilterSet):
    active = StrictBooleanFilter(field_name="active")

    class Meta:
        model = Endpoint
        fields = ["active"]


class DeliveryFilter(FilterSet):
    status = django_filters.ChoiceFilter(choices=Delivery.Status.choices)
    endpoint = IdFilter(field_name="endpoint_id")

    class Meta:
        model = Delivery
        fields = ["status", "endpoint"]


class EndpointDeliveryFilter(FilterSet):
    """`GET /webhooks/{id}/deliveries`: one endpoint's log, by status."""

    status = django_filters.ChoiceFilter(choices=Delivery.Status.choices)

    class Meta:
        model = Delivery
        fields = ["status"]
