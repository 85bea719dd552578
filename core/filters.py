"""The FilterSet every API filter inherits, its strict boolean filter, the business date
filter, and the filter backend that builds `filterset_fields` filters on it."""

import copy
import datetime
from typing import ClassVar

import django_filters
from django import forms
from django.db import models
from django.http import QueryDict
from django.utils.translation import get_language
from django_filters.filters import FilterMethod
from django_filters.filterset import FILTER_FOR_DBFIELD_DEFAULTS
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import filters

from core.fields import business_date_message, business_date_valid

BOOLEAN_WORDS = {"true": True, "1": True, "false": False, "0": False}
BOOLEAN_ERROR = "Use true or false (or 1 or 0)."
# Form classes kept per FilterSet, language and set of filters named (FilterSet.get_form_class).
MAX_FORM_CLASSES = 512


class StrictBooleanField(forms.Field):
    """`true`/`false`/`1`/`0` (any case); empty means "not given". Anything else is an error,
    never silently ignored: a script sending `overdue=yes` must not get every invoice
    (contract section 8, strict filters). Django's NullBooleanField would read `banana` as
    "no filter"."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        try:
            return BOOLEAN_WORDS[str(value).strip().lower()]
        except KeyError:
            raise forms.ValidationError(BOOLEAN_ERROR, code="invalid") from None

    def validate(self, value):
        pass  # None is "not given"; every other value is already a bool.


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class FilterSet(django_filters.FilterSet):
    """django-filter's FilterSet, building its form class once per class (and set of filters a
    request names) instead of once per request, with fields for the named filters only.

    The stock `get_form_class` makes a new form class on every request, and with it a new form
    field and a translated label for each filter: half a millisecond of CPU per list request
    (docs/performance.md). The form class depends only on the FilterSet class and the active
    language (the labels), as long as no filter builds its field from the request (a
    ModelChoiceFilter with a callable queryset would); none of ours does, and a subclass that
    needs one sets `cache_form_class = False`.
    """

    # Model boolean fields named in `Meta.fields` / `filterset_fields` get the strict filter.
    FILTER_DEFAULTS: ClassVar[dict] = {
        **FILTER_FOR_DBFIELD_DEFAULTS,
        models.BooleanField: {"filter_class": StrictBooleanFilter},
    }

    cache_form_class: ClassVar[bool] = True
    _form_classes: ClassVar[dict] = {}

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        # django-filter's BaseFilterSet.__init__ (26.2, pinned), except that it
        # deep-copies every filter on every request (60 µs for six filters, more than the
        # rest of the filtering). A shallow copy is enough: a request only sets a filter's
        # `model` and `parent`, on its own copy; a `method=` filter holds a FilterMethod bound
        # to its filter, so the copy gets its own. tests/core/test_filter_backend.py.
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.filters = {}
        for name, template in self.base_filters.items():
            filter_ = copy.copy(template)
            if isinstance(template.__dict__.get("filter"), FilterMethod):
                filter_.filter = FilterMethod(filter_)
            filter_.model = queryset.model
            filter_.parent = self
            self.filters[name] = filter_

    def __init_subclass__(cls, **kwargs):
        # A declared django-filter BooleanFilter would quietly ignore `banana`: refuse it.
        super().__init_subclass__(**kwargs)
        lax = [
            name
            for name, declared in cls.declared_filters.items()
            if isinstance(declared, django_filters.BooleanFilter)
            and not isinstance(declared, StrictBooleanFilter)
        ]
        if lax:
            raise TypeError(f"{cls.__name__}: use StrictBooleanFilter for {', '.join(lax)}.")

    def named_filters(self) -> tuple[str, ...] | None:
        """The filters this request's parameters name (`named` below), or None for all."""
        if not self.is_bound or self.form_prefix:
            return None
        keys = list(self.data)
        return tuple(name for name in self.filters if named(name, keys))

    def get_form_class(self):
        # Only the filters the request names get a form field: an absent parameter filters
        # nothing, and building, copying and cleaning a field for each of the others cost
        # more than the filtering (the form deep-copies its fields for every request).
        if not self.cache_form_class:
            return super().get_form_class()
        subset = self.named_filters()
        key = (type(self), get_language(), subset)
        form_class = FilterSet._form_classes.get(key)
        if form_class is None:
            fields = {
                name: filter_.field
                for name, filter_ in self.filters.items()
                if subset is None or name in subset
            }
            form_class = type(f"{type(self).__name__}Form", (self._meta.form,), fields)
            # One class per combination of filters a client uses; a client inventing
            # combinations gets a class built for its request, never a growing cache.
            if len(FilterSet._form_classes) < MAX_FORM_CLASSES:
                FilterSet._form_classes[key] = form_class
        return form_class


def named(name: str, keys) -> bool:
    """Whether a request's parameter names a filter: its name, or its name and `_` and a
    suffix (django-filter's range widgets read `name_after`, `name_min`...)."""
    return any(key == name or key.startswith(name + "_") for key in keys)


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    """`?updated_since=` and the like, compared in UTC: PostgreSQL refuses an offset beyond
    ±15:59 (`+16:00` is valid ISO 8601 and Python takes it), and a list streamed as CSV runs
    its query after the view has answered, where no handler could turn that into a 400."""

    def filter(self, qs, value):
        if value is not None:
            value = value.astimezone(datetime.UTC)
        return super().filter(qs, value)


class WholeNumberFormField(forms.IntegerField):
    """Digits only: Django's IntegerField also takes `1.0` and `1e0`."""

    def to_python(self, value):
        if value not in self.empty_values and not str(value).strip().isdigit():
            raise forms.ValidationError("Use a whole number.", code="invalid")
        return super().to_python(value)


class IdFilter(django_filters.NumberFilter):
    """`?customer_id=7` and the like: a whole number, as the schema says. A NumberFilter reads
    `0.5` as a decimal and answers 200 with nothing found; an id that is no whole number is a
    400 naming the parameter, like a body's id field (core.fields.IdField)."""

    field_class = WholeNumberFormField


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


class FilterBackend(DjangoFilterBackend):
    """django-filter's DRF backend, building the filters of a view's `filterset_fields` on our
    FilterSet (strict booleans) instead of django-filter's own.

    A request that names none of the view's filters is not filtered: building the FilterSet,
    its form and its validation to apply nothing cost a tenth of a millisecond on every plain
    list read (docs/performance.md). A parameter is the filter's when it is the filter's name
    or starts with it and `_` (django-filter's range widgets read `name_after`, `name_min`...).
    """

    filterset_base = FilterSet

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return queryset
        keys = list(request.query_params)
        if not any(named(name, keys) for name in filterset_class.base_filters):
            return queryset
        return super().filter_queryset(request, queryset, view)


class SearchFilter(filters.SearchFilter):
    """DRF's SearchFilter, which first builds and runs a form field over `?search=` on every
    list request, even for a view with no `search_fields` (customers search through their
    FilterSet instead): such a view skips it."""

    def filter_queryset(self, request, queryset, view):
        if not self.get_search_fields(view, request):
            return queryset
        return super().filter_queryset(request, queryset, view)
