from datetime import datetime, time, timedelta

import django_filters
from django.utils import timezone

from audit.models import ActorType, AuditEvent
from core.filters import FilterSet


def _day_start(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


class AuditEventFilter(FilterSet):
    """`date_from`/`date_to` are inclusive days (in the project's time zone) of `at`, as a
    range on the column so the index serves it."""

    resource = django_filters.CharFilter()
    resource_id = django_filters.CharFilter()
    actor_type = django_filters.ChoiceFilter(choices=ActorType.choices)
    date_from = django_filters.DateFilter(method="filter_date_from")
    date_to = django_filters.DateFilter(method="filter_date_to")

    class Meta:
        model = AuditEvent
        fields = ["resource", "resource_id", "actor_type"]

    def filter_date_from(self, queryset, name, value):
        return queryset.filter(at__gte=_day_start(value))

    def filter_date_to(self, queryset, name, value):
        return queryset.filter(at__lt=_day_start(value + timedelta(days=1)))
