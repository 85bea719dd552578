"""Serializer fields with the contract's wording and money rules, shared by every app."""

import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from rest_framework import serializers

from core.errors import DomainValidationError
from core.money import CENT
from core.serializers import FastDecimalMixin

INVALID_EMAIL = "Invalid email format"
AMOUNT_POSITIVE = "Amount must be greater than 0"


class EmailField(serializers.EmailField):
    default_error_messages = {"invalid": INVALID_EMAIL}


class MoneyField(FastDecimalMixin, serializers.DecimalField):
    """A money amount: JSON number or numeric string in, JSON number out, two decimals.

    More than two decimals in the input is rounded half-up to the cent, like every other
    money computation here.
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("coerce_to_string", False)
        kwargs.setdefault(
            "error_messages",
            {
                "invalid": "Enter a valid amount.",
                "max_digits": "Amount is too large.",
                "max_whole_digits": "Amount is too large.",
                "min_value": AMOUNT_POSITIVE,
            },
        )
        super().__init__(**kwargs)

    def validate_precision(self, value: Decimal) -> Decimal:
        try:
            rounded = value.quantize(CENT, rounding=ROUND_HALF_UP)
        except InvalidOperation:
            # Too many digits for the decimal context (e.g. 1e308): far past max_digits.
            self.fail("max_digits", max_digits=self.max_digits)
        return super().validate_precision(rounded)

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        value = super().to_internal_value(data)
        if self.min_value is not None and self.min_value >= 0 and value.is_signed():
            # A tiny negative (-0.001) rounds to -0.00, which the minimum would let through:
            # a negative input is refused before rounding can hide it.
            self.fail("min_value", min_value=self.min_value)
        return value


class PositiveMoneyField(MoneyField):
    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", Decimal("0.01"))
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value <= 0:
            self.fail("min_value", min_value=self.min_value)
        return value


# --- business dates --------------------------------------------------------------------------
# One window for every business date (settings.BUSINESS_DATE_MIN/MAX), read at validation time
# so a test's override_settings applies. Services check it too (`business_dates_check`), so the
# admin, commands and demo data obey the same window as the API.


def business_date_message() -> str:
    low, high = settings.BUSINESS_DATE_MIN, settings.BUSINESS_DATE_MAX
    return f"Date must be between {low.isoformat()} and {high.isoformat()}."


def business_date_valid(value: datetime.date) -> bool:
    if isinstance(value, datetime.datetime):
        value = value.date()
    return settings.BUSINESS_DATE_MIN <= value <= settings.BUSINESS_DATE_MAX


def business_dates_check(**dates: datetime.date | None) -> None:
    """Raises one DomainValidationError naming every given date outside the window."""
    errors = {
        name: business_date_message()
        for name, value in dates.items()
        if value is not None and not business_date_valid(value)
    }
    if errors:
        raise DomainValidationError(errors)


class BusinessDateField(serializers.DateField):
    """A `YYYY-MM-DD` business date within the configured window."""

    default_error_messages = {"out_of_window": "{message}"}

    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        if not business_date_valid(parsed):
            self.fail("out_of_window", message=business_date_message())
        return parsed


def business_year_message() -> str:
    low, high = settings.BUSINESS_DATE_MIN.year, settings.BUSINESS_DATE_MAX.year
    return f"Year must be a whole number between {low} and {high}."


class BusinessYearField(serializers.IntegerField):
    """A calendar year of the business date window (report periods)."""

    def to_internal_value(self, data):
        try:
            year = super().to_internal_value(data)
        except serializers.ValidationError:
            raise serializers.ValidationError(business_year_message()) from None
        low, high = settings.BUSINESS_DATE_MIN.year, settings.BUSINESS_DATE_MAX.year
        if not low <= year <= high:
            raise serializers.ValidationError(business_year_message())
        return year


# The largest value a bigint primary key can hold: beyond it no row can exist.
MAX_ID = 2**63 - 1


class IdField(serializers.PrimaryKeyRelatedField):
    """A related row's id in input: a JSON integer (or a string of digits, as form data sends
    it). DRF's own field hands anything to the ORM, which turns `1.5` into `1` and `true` into
    `1`: an invoice for the wrong customer. Those are refused with `incorrect_type`."""

    default_error_messages = {"incorrect_type": "Id must be a whole number."}

    def to_internal_value(self, data):
        if isinstance(data, str) and data.isascii() and data.isdigit():
            data = int(data)
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not 0 < data <= MAX_ID:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)
