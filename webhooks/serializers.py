from rest_framework import serializers

from api.schema_limits import request_enum
from core.serializers import ModelSerializer
from webhooks import catalog
from webhooks.models import Attempt, Delivery, Endpoint


class EndpointSerializer(ModelSerializer):
    """An endpoint as the API shows it: never its secret (see EndpointCreatedSerializer)."""

    url = serializers.CharField(max_length=2000)
    events = serializers.ListField(
        child=serializers.CharField(max_length=64), allow_empty=False, max_length=100
    )
    active = serializers.BooleanField(required=False)

    class Meta:
        model = Endpoint
        fields = [
            "id",
            "url",
            "events",
            "active",
            "disabled_reason",
            "disabled_at",
            "owner_id",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "disabled_reason",
            "disabled_at",
            "owner_id",
            "created_at",
            "updated_at",
        ]


class EndpointCreatedSerializer(EndpointSerializer):
    """The POST response: the only time the signing secret is shown."""

    class Meta(EndpointSerializer.Meta):
        fields = [*EndpointSerializer.Meta.fields, "secret"]


class AttemptSerializer(ModelSerializer):
    class Meta:
        model = Attempt
        fields = [
            "id",
            "number",
            "status_code",
            "succeeded",
            "duration_ms",
            "response_excerpt",
            "error",
            "created_at",
        ]


class DeliverySerializer(ModelSerializer):
    event_id = serializers.CharField(source="event.public_id")
    event_type = serializers.CharField(source="event.type")
    attempts = AttemptSerializer(many=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "endpoint_id",
            "event_id",
            "event_type",
            "status",
            "attempt_count",
            "next_attempt_at",
            "first_failed_at",
            "last_attempt_at",
            "completed_at",
            "last_error",
            "created_at",
            "attempts",
        ]


request_enum(
    schemas=("EndpointRequest", "PatchedEndpointRequest"),
    field="events",
    values=[catalog.WILDCARD, *catalog.EVENT_TYPES],
)
