"""Serializer fields with the contract's wording and money rules, shared by every app."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from rest_framework import serializers

from api.money import CENT

INVALID_EMAIL = "Invalid email format"
AMOUNT_POSITIVE = "Amount must be greater than 0"


class EmailField(serializers.EmailField):
    default_error_messages = {"invalid": INVALID_EMAIL}


class MoneyField(serializers.DecimalField):
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
