"""The serializer bases every API serializer inherits: DRF's, with the read path made cheap.

Every list response serializes up to 100 rows, each through DRF's generic per-field machinery;
with the fixed costs of a request cut (docs/performance.md) that became the largest share of
a list request's CPU. Three things change, none of them what a response says (each is held to
DRF's own output by tests/core/test_serializers.py):

- Fields are built once per serializer class, not once per request. `ModelSerializer` builds
  its fields from the model on every instantiation (field mapping, kwargs, labels, validators);
  here that result is kept as a template and each serializer gets copies. A plain field is
  copied shallowly (binding sets its name and parent on the copy only); a nested serializer is
  deep-copied, as DRF does. A serializer whose fields depend on the request must build them in
  `__init__` from `self.fields` (as `ledger.serializers` does), never in `get_fields`.
- A row reads a plain model column straight from the instance, where DRF walks
  `source_attrs`, probes for callables and for `Mapping`s, and catches exceptions per field.
  Anything else (properties, relations, method fields, nested serializers, dicts) takes DRF's
  path unchanged.
- Date-times render in UTC with the contract's format in one step, and money that already has
  its two places is returned as it is instead of being quantized again.
"""

from __future__ import annotations

import copy
import datetime
from decimal import Decimal
from typing import Any, ClassVar

from django.db import models
from django.db.models.query_utils import DeferredAttribute
from rest_framework import fields as drf_fields
from rest_framework import serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject
from rest_framework.settings import api_settings

_UTC = datetime.UTC
# The contract's date-time format (settings.REST_FRAMEWORK["DATETIME_FORMAT"]).
CONTRACT_DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_TEMPLATES: dict[type, dict[str, drf_fields.Field]] = {}
# Per model class and attribute: may the value be read from the instance's __dict__? True for
# concrete columns (Django's DeferredAttribute keeps them there) and for names the class does
# not define (annotations); False for properties, descriptors with their own __get__, methods.
_PLAIN_ATTRIBUTE: dict[tuple[type, str], bool] = {}


def _fresh(field: drf_fields.Field) -> drf_fields.Field:
    if isinstance(field, serializers.BaseSerializer):
        return copy.deepcopy(field)
    return copy.copy(field)


def _plain_attribute(model: type, name: str) -> bool:
    key = (model, name)
    plain = _PLAIN_ATTRIBUTE.get(key)
    if plain is None:
        found = None
        for klass in model.__mro__:
            if name in klass.__dict__:
                found = klass.__dict__[name]
                break
        plain = _PLAIN_ATTRIBUTE[key] = found is None or type(found) is DeferredAttribute
    return plain


# DRF fields whose `to_representation` returns a value of exactly this type unchanged (str()
# of a str, int() of an int, a bool that is True or False).
_UNCHANGED: dict[Any, type] = {
    drf_fields.CharField.to_representation: str,
    drf_fields.IntegerField.to_representation: int,
    drf_fields.BooleanField.to_representation: bool,
}


class _Never:
    """The passthrough type of a field whose output is always the field's own work."""


def _passthrough(field: drf_fields.Field) -> type:
    return _UNCHANGED.get(type(field).to_representation, _Never)


class FastReadMixin:
    """Cached field templates and a direct read of plain columns (module docstring)."""

    _read_plans: dict

    def get_fields(self):
        cls = type(self)
        template = _TEMPLATES.get(cls)
        if template is None:
            template = _TEMPLATES[cls] = super().get_fields()
        return {name: _fresh(field) for name, field in template.items()}

    def _read_plan(self, model: type) -> list[tuple[str, drf_fields.Field, str | None, type]]:
        plans = self.__dict__.setdefault("_read_plans", {})
        plan = plans.get(model)
        if plan is None:
            plan = plans[model] = []
            for field in self._readable_fields:
                attribute = None
                if (
                    type(field).get_attribute is drf_fields.Field.get_attribute
                    and not isinstance(field, serializers.BaseSerializer)
                    and len(field.source_attrs) == 1
                    and _plain_attribute(model, field.source_attrs[0])
                ):
                    attribute = field.source_attrs[0]
                plan.append((field.field_name, field, attribute, _passthrough(field)))
        return plan

    def to_representation(self, instance):
        if not isinstance(instance, models.Model):
            return super().to_representation(instance)
        values = instance.__dict__
        ret: dict[str, Any] = {}
        for name, field, attribute, same in self._read_plan(type(instance)):
            if attribute is not None and attribute in values:
                value = values[attribute]
                if type(value) is same:
                    ret[name] = value
                    continue
                if callable(value):  # DRF calls a callable attribute; so does its path
                    value = field.get_attribute(instance)
            else:
                try:
                    value = field.get_attribute(instance)
                except SkipField:
                    continue
                if isinstance(value, PKOnlyObject):
                    ret[name] = None if value.pk is None else field.to_representation(value)
                    continue
            ret[name] = None if value is None else field.to_representation(value)
        return ret


class DateTimeField(serializers.DateTimeField):
    """DRF's DateTimeField, always in UTC (the contract's `...Z` format says so), rendered in
    one step: DRF looks the current time zone up and re-checks the format on every value."""

    def __init__(self, **kwargs):
        kwargs.setdefault("default_timezone", _UTC)
        super().__init__(**kwargs)

    def to_representation(self, value):
        if isinstance(value, datetime.datetime) and value.tzinfo is not None:
            output_format = getattr(self, "format", api_settings.DATETIME_FORMAT)
            if (
                output_format == CONTRACT_DATETIME_FORMAT
                and value.tzinfo is _UTC
                and value.year >= 1000  # strftime does not pad a year to four digits
            ):
                # strftime re-parses the format on every call; this is the same text.
                return (
                    f"{value.year:04d}-{value.month:02d}-{value.day:02d}T"
                    f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}Z"
                )
            if output_format is not None and output_format.lower() != drf_fields.ISO_8601:
                try:
                    return value.astimezone(_UTC).strftime(output_format)
                except OverflowError:
                    pass  # DRF's path reports it as the field's own error
        return super().to_representation(value)


class FastDecimalMixin:
    """Returns a stored amount that already has the field's decimal places as it is: DRF
    quantizes every value again, copying the decimal context each time."""

    decimal_places: int | None
    max_digits: int | None

    def to_representation(self, value):
        if (
            type(value) is Decimal
            and not getattr(self, "coerce_to_string", False)
            and not self.normalize_output
            and self.decimal_places is not None
            and value.is_finite()
        ):
            sign, digits, exponent = value.as_tuple()
            if exponent == -self.decimal_places and (
                self.max_digits is None or len(digits) <= self.max_digits
            ):
                return value
        return super().to_representation(value)


class DecimalField(FastDecimalMixin, serializers.DecimalField):
    pass


class Serializer(FastReadMixin, serializers.Serializer):
    pass


class ModelSerializer(FastReadMixin, serializers.ModelSerializer):
    serializer_field_mapping: ClassVar[dict] = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: DateTimeField,
        models.DecimalField: DecimalField,
    }
