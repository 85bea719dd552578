from rest_framework import serializers

from core.fields import EmailField
from customers.models import Lead, LeadStatus


class LeadSerializer(serializers.ModelSerializer):
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
