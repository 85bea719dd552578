from rest_framework import serializers

from core.fields import EmailField
from core.serializers import ModelSerializer
from users.models import Role, User


class UserSerializer(ModelSerializer):
    email = EmailField(max_length=254)
    name = serializers.CharField(max_length=150)
    password = serializers.CharField(
        write_only=True,
        required=False,
        min_length=1,
        max_length=128,
        style={"input_type": "password"},
    )
    role = serializers.ChoiceField(choices=Role.choices, default=Role.STAFF)

    class Meta:
        model = User
        fields = [
            "id",
            "name",
            "email",
            "password",
            "role",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        validators: list = []


class UserCreateSerializer(UserSerializer):
    """A new user needs a password (an update may leave it out): required here, so the schema
    says so too."""

    password = serializers.CharField(
        write_only=True, min_length=1, max_length=128, style={"input_type": "password"}
    )
