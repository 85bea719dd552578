"""Property tests: totals add up to the cent, for any lines and discount, the discount
shared over the lines before tax."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import HealthCheck, given, settings

from billing.totals import discount_shares, document_totals, line_amounts, lines_with_discount
from tests.billing.strategies import discount_shares as fraction
from tests.billing.strategies import item_lists
from tests.factories import CustomerFactory

CENT = Decimal("0.01")


def half_up(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def money(value: float) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


@given(items=item_lists, share=fraction)
def test_total_is_subtotal_minus_discount_plus_tax(items, share):
    subtotals = [half_up(i["qty"] * i["amount"]) for i in items]
    discount = half_up(sum(subtotals, Decimal(0)) * share)

    lines = lines_with_discount(
        lines=[(s, i["tax_rate"]) for s, i in zip(subtotals, items, strict=True)],
        discount=discount,
    )
    totals = document_totals(lines=lines)

    assert totals.discount == discount
    assert totals.total == totals.subtotal - totals.discount + totals.tax
    for line, item in zip(lines, items, strict=True):
        assert Decimal(0) <= line.discount <= line.subtotal
        assert line.tax == half_up((line.subtotal - line.discount) * item["tax_rate"] / 100)
    for value in (totals.subtotal, totals.discount, totals.tax, totals.total):
        assert value.as_tuple().exponent == -2


@given(items=item_lists, share=fraction)
def test_discount_shares_are_proportional_with_the_remainder_on_the_largest_line(items, share):
    subtotals = [half_up(i["qty"] * i["amount"]) for i in items]
    total = sum(subtotals, Decimal(0))
    discount = half_up(total * share)

    shares = discount_shares(subtotals=subtotals, discount=discount)

    assert sum(shares, Decimal(0)) == discount
    if total > 0:
        largest = min(range(len(subtotals)), key=lambda i: (-subtotals[i], i))
        for index, (subtotal, got) in enumerate(zip(subtotals, shares, strict=True)):
            proportional = half_up(discount * subtotal / total)
            if index != largest:
                # Only the largest line moves, unless it had no room left.
                assert abs(got - proportional) <= Decimal("0.01") * len(items)


def test_the_contracts_example():
    lines = lines_with_discount(lines=[(Decimal("100.00"), Decimal("10"))], discount=Decimal(20))

    assert document_totals(lines=lines) == document_totals(
        lines=[line_amounts(qty=1, unit_price=Decimal(100), tax_rate=10, discount=20)]
    )
    totals = document_totals(lines=lines)
    assert (totals.subtotal, totals.discount, totals.tax, totals.total) == (
        Decimal("100.00"),
        Decimal("20.00"),
        Decimal("8.00"),
        Decimal("88.00"),
    )


def test_remainder_goes_to_the_largest_line():
    # 10.00 over 3 equal-ish lines: 3.33 + 3.33 + 3.33 = 9.99; the cent goes to the largest.
    shares = discount_shares(
        subtotals=[Decimal("30.00"), Decimal("30.01"), Decimal("30.00")], discount=Decimal(10)
    )

    assert shares == [Decimal("3.33"), Decimal("3.34"), Decimal("3.33")]


@given(items=item_lists)
def test_each_line_is_rounded_half_up_once(items):
    for i in items:
        line = line_amounts(qty=i["qty"], unit_price=i["amount"], tax_rate=i["tax_rate"])
        exact = i["qty"] * i["amount"]
        assert line.subtotal == half_up(exact)
        assert abs(line.subtotal - exact) <= Decimal("0.005")
        assert line.tax == half_up(line.subtotal * i["tax_rate"] / 100)


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(items=item_lists, share=fraction)
def test_api_totals_add_up_to_the_cent(api, items, share):
    customer = CustomerFactory()
    exact_subtotal = sum((half_up(i["qty"] * i["amount"]) for i in items), Decimal(0))
    payload = {
        "customer_id": customer.pk,
        "date": datetime.date(2024, 1, 15).isoformat(),
        "items": [
            {"description": f"Line {n}", **{k: str(v) for k, v in i.items()}}
            for n, i in enumerate(items)
        ],
        "discount": str(half_up(exact_subtotal * share)),
    }

    response = api.post("/api/v2/invoices", payload, format="json")

    data = response.json()["data"]
    subtotal, discount, tax, total = (
        money(data[k]) for k in ("subtotal", "discount", "tax", "amount")
    )
    assert total == subtotal - discount + tax
    assert subtotal == sum((money(line["subtotal"]) for line in data["items"]), Decimal(0))
    assert tax == sum((money(line["tax"]) for line in data["items"]), Decimal(0))
    assert discount == sum((money(line["discount"]) for line in data["items"]), Decimal(0))
    assert subtotal == exact_subtotal
    for sent, line in zip(items, data["items"], strict=True):
        expected = half_up(sent["qty"] * sent["amount"])
        taxable = expected - money(line["discount"])
        assert money(line["subtotal"]) == expected
        assert money(line["tax"]) == half_up(taxable * sent["tax_rate"] / 100)
    assert money(data["balance_due"]) == total
