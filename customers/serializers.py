from rest_framework import serializers

from api.schema_limits import request_enum
from core.currencies import CurrencyField
from core.fields import EmailField, MoneyField
from core.serializers import ModelSerializer, Serializer
from customers.models import Customer, Lead, LeadStatus


class CustomerSerializer(ModelSerializer):
    email = EmailField(max_length=254)
    account = serializers.CharField(max_length=200)
    # Written only by credit notes and credit payments (customers.services.customer_credit_adjust).
    credit_balance = MoneyField(read_only=True)
    # ISO 4217; left out: the base currency. New documents for the customer default to it.
    currency = CurrencyField(required=False)

    class Meta:
        model = Customer
        fields = [
            "id",
            "account",
            "email",
            "phone",
            "address",
            "city",
            "state",
            "zip",
            "country",
            "reminders_enabled",
            "currency",
            "credit_balance",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "credit_balance", "created_at", "updated_at"]
        # Uniqueness is the service's rule (case-insensitive), not a serializer validator.
        validators: list = []


class CustomerBatchSerializer(Serializer):
    customers = CustomerSerializer(
        many=True,
        allow_empty=False,
        max_length=1000,
        error_messages={
            "max_length": "At most 1000 customers per request.",
            "empty": "Send at least one customer.",
        },
    )


class LeadSerializer(ModelSerializer):
    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100)
    email = EmailField(max_length=254)
    status = serializers.ChoiceField(
        choices=LeadStatus.choices,
        required=False,
        error_messages={"invalid_choice": f"Must be one of: {', '.join(LeadStatus.values)}."},
    )

    class Meta:
        model = Lead
        fields = [
            "id",
            "first_name",
            "last_name",
            "email",
            "company",
            "phone",
            "source",
            "status",
            "customer_id",
            "converted_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "customer_id", "converted_at", "created_at", "updated_at"]


# A lead's status may be set to anything but Converted, which only `/leads/{id}/convert` sets.
request_enum(
    schemas=("LeadRequest", "PatchedLeadRequest"),
    field="status",
    values=[s for s in LeadStatus.values if s != LeadStatus.CONVERTED],
    note="`Converted` is set only by `POST /leads/{id}/convert`.",
)
