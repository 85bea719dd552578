"""Money as people read it, the same way on every screen: Babel's `format_currency` in the
configured locale, with the amount's own currency (a document's, an account's; else
`BASE_CURRENCY`), so symbol, separators and decimals follow the currency (¥1,234; CHF 1,234.50).

Also a template library, loaded as a builtin (config/settings.py), so every template writes
`{{ amount|money }}` or `{{ amount|money:invoice.currency }}`.
"""

import re
from decimal import Decimal, InvalidOperation

from babel import Locale
from babel.numbers import format_currency, get_currency_symbol
from django import template
from django.conf import settings

register = template.Library()

NBSP = "\u00a0"
# en_US writes a letter code glued to the number ("CHF1,234.50"): CLDR's currency spacing
# rule, which Babel does not apply, puts a space between a letter and a digit.
_GLUED = re.compile(r"([A-Za-z])(\d)")


def format_money(amount: Decimal | int | str | None, currency: str | None = None) -> str:
    """ "$1,299.99" for en_US and USD, "CHF 1,299.99" for CHF; "" for no amount, so an empty
    cell stays empty."""
    if amount is None or amount == "":
        return ""
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        return str(amount)
    text = format_currency(value, currency or settings.BASE_CURRENCY, locale=settings.MONEY_LOCALE)
    return _GLUED.sub(rf"\1{NBSP}\2", text)


def format_money_latin1(amount: Decimal | int | str | None, currency: str | None = None) -> str:
    """`format_money` for the PDFs, whose built-in fonts draw Windows-1252 only: a symbol
    outside it (₹, ₩, ₽) is written as the ISO code instead of a blank box."""
    text = format_money(amount, currency)
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        code = currency or settings.BASE_CURRENCY
        symbol = get_currency_symbol(code, locale=settings.MONEY_LOCALE)
        text = text.replace(symbol, code + NBSP)
    return text


def format_amount(amount: Decimal, currency: str | None = None) -> str:
    """The number alone, with the currency's decimals and the locale's separators ("1,800.00",
    "¥1,800" → "1,800"): for table cells under a heading that names the currency."""
    locale = Locale.parse(settings.MONEY_LOCALE)
    pattern = locale.currency_formats["standard"].pattern
    bare = pattern.replace("¤", "").replace(NBSP, "").strip()
    return format_currency(
        Decimal(amount), currency or settings.BASE_CURRENCY, locale=locale, format=bare
    )


@register.filter(name="money")
def money_filter(amount, currency: str | None = None) -> str:
    return format_money(amount, currency or None)
