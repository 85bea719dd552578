"""Invoice, quote and credit-note arithmetic, in one place and without a database.

Each line's `qty × unit price` is rounded half-up to the cent and stored (`line_subtotal`).
A document's `discount` is then shared out over its lines in proportion to their subtotals
(each share rounded half-up to the cent, the rounding remainder put on the largest line) and
stored per line (`line_discount`); tax is computed per line on the discounted amount
(`line_tax = round_half_up((line_subtotal − line_discount) × tax_rate / 100)`). Document
totals are plain sums of those stored parts, so the numbers always add up to the cent:
`total = subtotal − discount + tax`.

Why before tax: a discount lowers the price actually charged, and tax is owed on the price
charged (100.00 at 10 % with 20.00 off: tax 8.00, total 88.00, not 90.00).
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
    discount: Decimal = ZERO


@dataclass(frozen=True)
class DocumentTotals:
    subtotal: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal


def line_amounts(
    *, qty: Decimal, unit_price: Decimal, tax_rate: Decimal, discount: Decimal = ZERO
) -> LineAmounts:
    subtotal = to_cents(qty * unit_price)
    discount = to_cents(discount)
    return LineAmounts(
        subtotal=subtotal,
        discount=discount,
        tax=to_cents((subtotal - discount) * tax_rate / HUNDRED),
    )


def discount_shares(*, subtotals: list[Decimal], discount: Decimal) -> list[Decimal]:
    """`discount` split over lines in proportion to their `subtotals`, each share rounded
    half-up to the cent; what rounding leaves over (or took too much) goes on the largest line
    (the first of equals), spilling to the next largest should a share leave 0..subtotal.
    The shares always sum to `discount`, which must not exceed the sum of the subtotals."""
    discount = to_cents(discount)
    total = sum(subtotals, ZERO)
    if discount <= 0 or total <= 0:
        return [ZERO for _ in subtotals]
    shares = [to_cents(discount * subtotal / total) for subtotal in subtotals]
    remainder = discount - sum(shares, ZERO)
    by_size = sorted(range(len(subtotals)), key=lambda i: (-subtotals[i], i))
    for index in by_size:
        if remainder == 0:
            break
        room_up, room_down = subtotals[index] - shares[index], shares[index]
        step = min(remainder, room_up) if remainder > 0 else max(remainder, -room_down)
        shares[index] += step
        remainder -= step
    return shares


def lines_with_discount(
    *, lines: list[tuple[Decimal, Decimal]], discount: Decimal
) -> list[LineAmounts]:
    """Each `(line_subtotal, tax_rate)` with its discount share and its tax on the rest."""
    shares = discount_shares(subtotals=[subtotal for subtotal, _ in lines], discount=discount)
    return [
        LineAmounts(
            subtotal=subtotal,
            discount=share,
            tax=to_cents((subtotal - share) * rate / HUNDRED),
        )
        for (subtotal, rate), share in zip(lines, shares, strict=True)
    ]


def document_totals(*, lines: Iterable[LineAmounts]) -> DocumentTotals:
    """The document's figures: sums of its lines' stored parts."""
    lines = list(lines)
    subtotal = sum((line.subtotal for line in lines), ZERO)
    discount = sum((line.discount for line in lines), ZERO)
    tax = sum((line.tax for line in lines), ZERO)
    return DocumentTotals(
        subtotal=subtotal, discount=discount, tax=tax, total=subtotal - discount + tax
    )
