"""ISO 4217 currency codes and exchange rates, the same rules in every room (contract section 13).

A code is valid when Babel knows it (`babel.numbers.list_currencies()`) and is written in
capitals: `EUR`, never `eur`, `€` or `EURO`. A rate is base-currency units per one unit of the
document's currency, six decimals, greater than 0, and exactly 1 for the base currency.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import list_currencies
from django import forms
from django.conf import settings
from rest_framework import serializers
from unfold.widgets import UnfoldAdminSelectWidget

from core.errors import DomainValidationError
from core.serializers import FastDecimalMixin

RATE_PLACES = Decimal("0.000001")
RATE_MAX_DIGITS = 18
ONE = Decimal("1.000000")
CURRENCY_INVALID = "Use an ISO 4217 currency code in capitals, e.g. USD or EUR."
RATE_INVALID = "Exchange rate must be a number greater than 0 with at most 6 decimals."
BASE_RATE_ONLY_ONE = "The base currency's exchange rate is always 1."

_CODES = frozenset(list_currencies())


def base_currency() -> str:
    return settings.BASE_CURRENCY


def currency_valid(code: object) -> bool:
    return isinstance(code, str) and code in _CODES


def currency_check(code: str | None, *, field: str = "currency") -> str | None:
    """The code itself when valid (None stays None); a 400 on `field` otherwise."""
    if code is None:
        return None
    if not currency_valid(code):
        raise DomainValidationError({field: CURRENCY_INVALID})
    return code


def rate_check(
    rate: Decimal | int | str | None, *, currency: str, field: str = "exchange_rate"
) -> Decimal | None:
    """A given rate as stored (6 decimals, half-up); None stays None. A rate other than 1
    for the base currency is a 400: a base-currency amount is its own base value."""
    if rate is None:
        return None
    try:
        value = Decimal(rate).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)
    except (InvalidOperation, TypeError, ValueError):
        raise DomainValidationError({field: RATE_INVALID}) from None
    if value <= 0 or len(value.as_tuple().digits) > RATE_MAX_DIGITS:
        raise DomainValidationError({field: RATE_INVALID})
    if currency == base_currency() and value != ONE:
        raise DomainValidationError({field: BASE_RATE_ONLY_ONE})
    return value


def currency_choices() -> list[tuple[str, str]]:
    """Every valid code, for the admin's select boxes."""
    return [(code, code) for code in sorted(_CODES)]


class CurrencyFormField(forms.ChoiceField):
    """The admin's currency select: left empty, the `default` (the base currency, or the
    record's own on a change form)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("choices", [("", "---------"), *currency_choices()])
        kwargs.setdefault("widget", UnfoldAdminSelectWidget)
        super().__init__(**kwargs)


class CurrencyField(serializers.CharField):
    """An ISO 4217 code in capitals, checked against Babel's list."""

    default_error_messages = {"invalid_currency": CURRENCY_INVALID}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 3)
        kwargs.setdefault("min_length", None)
        kwargs.setdefault("trim_whitespace", False)
        kwargs.setdefault("error_messages", {})
        for key in ("max_length", "min_length", "blank", "invalid"):
            kwargs["error_messages"].setdefault(key, CURRENCY_INVALID)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str) or not currency_valid(data):
            self.fail("invalid_currency")
        return super().to_internal_value(data)


class ExchangeRateField(FastDecimalMixin, serializers.DecimalField):
    """Base-currency units per one unit of the document's currency: 6 decimals, above 0; a
    JSON number out."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", RATE_MAX_DIGITS)
        kwargs.setdefault("decimal_places", 6)
        kwargs.setdefault("coerce_to_string", False)
        kwargs.setdefault("min_value", Decimal("0.000001"))
        kwargs.setdefault(
            "error_messages",
            {
                key: RATE_INVALID
                for key in ("invalid", "max_digits", "max_decimal_places", "max_whole_digits")
            }
            | {"min_value": RATE_INVALID},
        )
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)
