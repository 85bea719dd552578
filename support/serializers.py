from rest_framework import serializers

from core.fields import EmailField, IdField
from core.serializers import ModelSerializer
from customers.models import Customer
from support.models import (
    Department,
    ReplyAuthor,
    Ticket,
    TicketPriority,
    TicketReply,
    TicketStatus,
)
from users.selectors import user_active_list


def _choice_error(choices) -> dict:
    return {"invalid_choice": f"Must be one of: {', '.join(choices)}."}


class DepartmentSerializer(ModelSerializer):
    name = serializers.CharField(max_length=100)
    email = EmailField(max_length=254, required=False, allow_blank=True, default="")

    class Meta:
        model = Department
        fields = ["id", "name", "email", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]
        # Name uniqueness (ignoring case) is the service's rule.
        validators: list = []


class TicketSerializer(ModelSerializer):
    customer_id = IdField(
        source="customer",
        queryset=Customer.objects.all(),
        error_messages={
            "does_not_exist": "No customer with id {pk_value}.",
            "incorrect_type": "Customer id must be a number.",
        },
    )
    department_id = IdField(
        source="department",
        queryset=Department.objects.all(),
        error_messages={
            "does_not_exist": "No department with id {pk_value}.",
            "incorrect_type": "Department id must be a number.",
        },
    )
    subject = serializers.CharField(max_length=255)
    message = serializers.CharField()
    priority = serializers.ChoiceField(
        choices=TicketPriority.choices,
        default=TicketPriority.MEDIUM,
        error_messages=_choice_error(TicketPriority.values),
    )
    status = serializers.ChoiceField(
        choices=TicketStatus.choices,
        required=False,
        error_messages=_choice_error(TicketStatus.values),
    )
    assigned_to = IdField(
        queryset=user_active_list(),
        required=False,
        allow_null=True,
        error_messages={
            "does_not_exist": "No active user with id {pk_value}.",
            "incorrect_type": "User id must be a number.",
        },
    )

    class Meta:
        model = Ticket
        fields = [
            "id",
            "ticket_number",
            "customer_id",
            "subject",
            "message",
            "department_id",
            "priority",
            "status",
            "assigned_to",
            "created_at",
            "updated_at",
            "last_reply_at",
            "closed_at",
        ]
        read_only_fields = [
            "id",
            "ticket_number",
            "created_at",
            "updated_at",
            "last_reply_at",
            "closed_at",
        ]

    def to_representation(self, instance):
        # Ids straight from the row's columns: rendering a list never loads a related object.
        data = super().to_representation(instance)
        data["customer_id"] = instance.customer_id
        data["department_id"] = instance.department_id
        data["assigned_to"] = instance.assigned_to_id
        return data


class TicketReplySerializer(ModelSerializer):
    message = serializers.CharField()
    author = serializers.ChoiceField(
        choices=ReplyAuthor.choices,
        default=ReplyAuthor.STAFF,
        error_messages=_choice_error(ReplyAuthor.values),
    )

    class Meta:
        model = TicketReply
        fields = ["id", "ticket_id", "message", "author", "created_by", "created_at"]
        read_only_fields = ["id", "ticket_id", "created_by", "created_at"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["created_by"] = instance.created_by_id
        return data
