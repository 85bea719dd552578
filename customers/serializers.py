from rest_framework import serializers

from core.fields import EmailField, MoneyField
from customers.models import Customer


class CustomerSerializer(serializers.ModelSerializer):
    email = EmailField(max_length=254)
    account = serializers.CharField(max_length=200)
    # Written only by credit notes and credit payments (customers.services.customer_credit_adjust).
    credit_balance = MoneyField(read_only=True)

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
            "credit_balance",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "credit_balance", "created_at", "updated_at"]
        # Uniqueness is the service's rule (case-insensitive), not a serializer validator.
        validators: list = []


class CustomerBatchSerializer(serializers.Serializer):
    customers = CustomerSerializer(
        many=True,
        allow_empty=False,
        max_length=1000,
        error_messages={
            "max_length": "At most 1000 customers per request.",
            "empty": "Send at least one customer.",
        },
    )
