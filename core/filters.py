"""The FilterSet every API filter inherits, and the business date filter."""

from typing import ClassVar

import django_filters
from django import forms
from django.utils.translation import get_language

from core.fields import business_date_message, business_date_valid


class FilterSet(django_filters.FilterSet):
    """django-filter's FilterSet, building its form class once per class instead of once per
    request.

    The stock `get_form_class` makes a new form class on every request, and with it a new form
    field and a translated label for each filter: half a millisecond of CPU per list request
    (docs/performance.md). The form class depends only on the FilterSet class and the active
    language (the labels), as long as no filter builds its field from the request (a
    ModelChoiceFilter with a callable queryset would); none of ours does, and a subclass that
    needs one sets `cache_form_class = False`.
    """

    cache_form_class: ClassVar[bool] = True
    _form_classes: ClassVar[dict] = {}

    def get_form_class(self):
        if not self.cache_form_class:
            return super().get_form_class()
        key = (type(self), get_language())
        form_class = FilterSet._form_classes.get(key)
        if form_class is None:
            form_class = FilterSet._form_classes[key] = super().get_form_class()
        return form_class


class BusinessDateFormField(forms.DateField):
    def clean(self, value):
        day = super().clean(value)
        if day is not None and not business_date_valid(day):
            raise forms.ValidationError(business_date_message(), code="out_of_window")
        return day


class BusinessDateFilter(django_filters.DateFilter):
    """`?date_from=`/`?date_to=` and the like: a date within the business date window (the
    same sentence as a body's date field), so a filter never reaches the database with a date
    the data cannot hold."""

    field_class = BusinessDateFormField
