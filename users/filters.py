import django_filters

from core.filters import FilterSet, StrictBooleanFilter
from users.models import Role, User


class UserFilter(FilterSet):
    role = django_filters.ChoiceFilter(choices=Role.choices)
    is_active = StrictBooleanFilter(field_name="is_active")

    class Meta:
        model = User
        fields = ["role", "is_active"]
