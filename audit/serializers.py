from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from audit.models import ActorType, AuditEvent
from core.serializers import ModelSerializer, Serializer


class ActorSerializer(Serializer):
    type = serializers.ChoiceField(source="actor_type", choices=ActorType.choices)
    id = serializers.IntegerField(source="actor_id", allow_null=True)
    name = serializers.CharField(source="actor_name")


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string"}]})
class ResourceIdField(serializers.Field):
    # Stored as text (any resource's key); numeric ids leave as JSON numbers, like every id.
    def to_representation(self, value: str):
        return int(value) if value.isdigit() else value


@extend_schema_field(OpenApiTypes.STR)
class OptionalTextField(serializers.Field):
    def to_representation(self, value: str):
        return value or None


class AuditEventSerializer(ModelSerializer):
    actor = ActorSerializer(source="*", read_only=True)
    resource_id = ResourceIdField(read_only=True)
    changes = serializers.DictField(
        child=serializers.ListField(child=serializers.JSONField(), min_length=2, max_length=2),
        read_only=True,
        help_text="Each changed field: [before, after].",
    )
    request_id = OptionalTextField(read_only=True, allow_null=True)

    class Meta:
        model = AuditEvent
        fields = ["id", "at", "actor", "action", "resource", "resource_id", "changes", "request_id"]
        read_only_fields = fields


class BooksSerializer(Serializer):
    closed_through = serializers.DateField(
        allow_null=True,
        help_text="Last day of the closed period (inclusive); null: no period is closed.",
    )
