"""hypothesis strategies for invoice and quote lines."""

from decimal import Decimal

from hypothesis import strategies as st

unit_prices = st.decimals(
    min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2, allow_nan=False
)
quantities = st.decimals(
    min_value=Decimal("0.01"), max_value=Decimal("999.99"), places=2, allow_nan=False
)
tax_rates = st.decimals(min_value=Decimal(0), max_value=Decimal(100), places=2, allow_nan=False)

line_items = st.fixed_dictionaries(
    {"amount": unit_prices, "qty": quantities, "tax_rate": tax_rates}
)
item_lists = st.lists(line_items, min_size=1, max_size=8)
# A fraction of the subtotal taken off as discount (0 to 100 %).
discount_shares = st.decimals(min_value=Decimal(0), max_value=Decimal(1), places=3)
