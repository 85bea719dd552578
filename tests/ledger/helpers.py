"""Shared test helpers for the ledger and reporting tests."""

from collections.abc import Callable
from decimal import Decimal

import pytest


@pytest.fixture
def committed(django_capture_on_commit_callbacks) -> Callable:
    """`committed(api.post, url, body)`: runs the call and then its on-commit callbacks (the
    roll-up refresh), as a real commit would; plain django_db tests never commit."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


def dec(value) -> Decimal:
    """A JSON money number as an exact Decimal (the shortest repr of a two-decimal float is
    its decimal text, so this is exact to the cent)."""
    return Decimal(str(value)).quantize(Decimal("0.01"))
