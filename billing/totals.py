"""Invoice and quote arithmetic, in one place and without a database.

Each line is rounded half-up to the cent twice, once for `qty × unit price` and once for its
tax, and both rounded parts are stored. Document totals are plain sums of those stored parts, so
the numbers on an invoice always add up to the cent as printed:
`total = subtotal − discount + tax`.

The discount is an amount off the document, taken after tax is computed on the lines (tax is
charged on the listed prices; the discount is a commercial reduction of what is owed).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from core.money import ZERO, to_cents

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class LineAmounts:
    subtotal: Decimal
    tax: Decimal


@dataclass(frozen=True)
class DocumentTotals:
    subtotal: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal


def line_amounts(*, qty: Decimal, unit_price: Decimal, tax_rate: Decimal) -> LineAmounts:
    subtotal = to_cents(qty * unit_price)
    return LineAmounts(subtotal=subtotal, tax=to_cents(subtotal * tax_rate / HUNDRED))


def document_totals(*, lines: Iterable[LineAmounts], discount: Decimal = ZERO) -> DocumentTotals:
    lines = list(lines)
    subtotal = sum((line.subtotal for line in lines), ZERO)
    tax = sum((line.tax for line in lines), ZERO)
    discount = to_cents(discount)
    return DocumentTotals(
        subtotal=subtotal, discount=discount, tax=tax, total=subtotal - discount + tax
    )
