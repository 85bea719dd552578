import django_filters
from django.db.models import Q
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError

from core.filters import FilterSet, IdFilter, StrictBooleanFilter, UtcDateTimeFilter
from support.models import Department, Ticket, TicketPriority, TicketStatus


class DepartmentFilter(FilterSet):
    name = django_filters.CharFilter(field_name="name", lookup_expr="iexact")

    class Meta:
        model = Department
        fields = ["name"]


@extend_schema_field(
    {
        "type": "string",
        "pattern": "^([0-9]+|[Nn][Oo][Nn][Ee])$",
        "description": "A user id, or `none` for unassigned tickets.",
    }
)
class AssignedToFilter(django_filters.CharFilter):
    """`assigned_to=<user id>`, or `assigned_to=none` for the unassigned queue."""

    def filter(self, qs, value):
        if value in (None, ""):
            return qs
        if value.lower() == "none":
            return qs.filter(assigned_to__isnull=True)
        if not value.isdigit():
            raise ValidationError({"assigned_to": "Use a user id or none."})
        return qs.filter(assigned_to_id=int(value))


class TicketFilter(FilterSet):
    status = django_filters.ChoiceFilter(choices=TicketStatus.choices)
    priority = django_filters.ChoiceFilter(choices=TicketPriority.choices)
    department_id = IdFilter(field_name="department_id")
    customer_id = IdFilter(field_name="customer_id")
    assigned_to = AssignedToFilter()
    updated_since = UtcDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    # `open=true`: everything not Closed (Open and Pending), the inbox's default view.
    open = StrictBooleanFilter(method="filter_open")

    class Meta:
        model = Ticket
        fields = ["status", "priority", "department_id", "customer_id"]

    def filter_open(self, qs, name, value):
        if value is None:
            return qs
        closed = Q(status=TicketStatus.CLOSED)
        return qs.exclude(closed) if value else qs.filter(closed)
