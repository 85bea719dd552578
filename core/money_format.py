"""Money as people read it, the same way on every screen: Babel's `format_currency` in the
configured locale, with the amount's currency (an account's own, else `BASE_CURRENCY`).

Also a template library, loaded as a builtin (config/settings.py), so every admin template
writes `{{ amount|money }}` or `{{ amount|money:account.currency }}`.
"""

from decimal import Decimal, InvalidOperation

from babel.numbers import format_currency
from django import template
from django.conf import settings

register = template.Library()


def format_money(amount: Decimal | int | str | None, currency: str | None = None) -> str:
    """ "$1,299.99" for en_US and USD; "" for no amount, so an empty cell stays empty."""
    if amount is None or amount == "":
        return ""
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        return str(amount)
    return format_currency(value, currency or settings.BASE_CURRENCY, locale=settings.MONEY_LOCALE)


@register.filter(name="money")
def money_filter(amount, currency: str | None = None) -> str:
    return format_money(amount, currency or None)
