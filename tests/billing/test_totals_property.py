"""Property tests: totals add up to the cent, for any lines and discount."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import HealthCheck, given, settings

from billing.totals import document_totals, line_amounts
from tests.billing.strategies import discount_shares, item_lists
from tests.factories import CustomerFactory

CENT = Decimal("0.01")


def half_up(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def money(value: float) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


@given(items=item_lists, share=discount_shares)
def test_total_is_subtotal_minus_discount_plus_tax(items, share):
    lines = [
        line_amounts(qty=i["qty"], unit_price=i["amount"], tax_rate=i["tax_rate"]) for i in items
    ]
    subtotal = sum((line.subtotal for line in lines), Decimal(0))

    totals = document_totals(lines=lines, discount=half_up(subtotal * share))

    assert totals.total == totals.subtotal - totals.discount + totals.tax
    for value in (totals.subtotal, totals.discount, totals.tax, totals.total):
        assert value.as_tuple().exponent == -2


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
@given(items=item_lists, share=discount_shares)
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
    assert subtotal == exact_subtotal
    for sent, line in zip(items, data["items"], strict=True):
        expected = half_up(sent["qty"] * sent["amount"])
        assert money(line["subtotal"]) == expected
        assert money(line["tax"]) == half_up(expected * sent["tax_rate"] / 100)
    assert money(data["balance_due"]) == total
