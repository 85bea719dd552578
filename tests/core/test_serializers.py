"""core.serializers' fast read path says exactly what DRF's own path says.

The whole API is read twice over the demo data, once as served and once with every shortcut
switched back to DRF's implementation, and the bodies must be byte-identical.
"""

import copy
import datetime
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from rest_framework import serializers

from api.urls import router
from core import serializers as fast
from ledger.serializers import TransactionInputSerializer

pytestmark = pytest.mark.django_db


def _drf_paths(monkeypatch) -> None:
    monkeypatch.setattr(
        fast.FastReadMixin,
        "to_representation",
        lambda self, instance: serializers.Serializer.to_representation(self, instance),
    )
    monkeypatch.setattr(
        fast.FastReadMixin,
        "get_fields",
        lambda self: super(fast.FastReadMixin, self).get_fields(),
    )
    monkeypatch.setattr(
        fast.DateTimeField,
        "to_representation",
        lambda self, value: serializers.DateTimeField.to_representation(self, value),
    )
    monkeypatch.setattr(
        fast.FastDecimalMixin,
        "to_representation",
        lambda self, value: serializers.DecimalField.to_representation(self, value),
    )


def _list_paths() -> list[str]:
    paths = []
    for prefix, viewset, _ in router.registry:
        if hasattr(viewset, "list") and not any(c in prefix for c in "({<"):
            paths.append(f"/api/v2/{prefix}?limit=100")
    return paths


def _bodies(api, paths: list[str]) -> dict[str, bytes]:
    out = {}
    for path in paths:
        response = api.get(path)
        assert response.status_code == 200, (path, response.content[:300])
        out[path] = response.content
        for row in response.json()["data"][:3]:
            if isinstance(row, dict) and "id" in row:
                detail = f"{path.split('?')[0]}/{row['id']}"
                answer = api.get(detail)
                if answer.status_code == 200:
                    out[detail] = answer.content
    return out


def test_every_list_and_detail_reads_the_same_as_drf_would(api, monkeypatch):
    call_command("seed_demo", size="small", stdout=io.StringIO())
    paths = _list_paths()
    served = _bodies(api, paths)
    _drf_paths(monkeypatch)
    reference = _bodies(api, paths)

    assert len(paths) > 15
    assert sum(len(b) for b in served.values()) > 50_000  # the demo data was read
    different = [path for path in served if served[path] != reference.get(path)]
    assert different == []


@pytest.mark.parametrize(
    "value",
    [
        datetime.datetime(2026, 3, 29, 1, 30, tzinfo=datetime.UTC),
        datetime.datetime(2026, 3, 29, 3, 30, tzinfo=ZoneInfo("Europe/Berlin")),
        datetime.datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=ZoneInfo("Asia/Kolkata")),
        datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=-13))),
        datetime.datetime(2026, 12, 2, 9, 5, 7, 123456, tzinfo=datetime.UTC),
        datetime.datetime(999, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
    ],
)
def test_a_date_time_renders_as_drf_renders_it_in_utc(value):
    ours = fast.DateTimeField().to_representation(value)
    drf = serializers.DateTimeField(default_timezone=datetime.UTC).to_representation(value)

    assert ours == drf
    assert ours.endswith("Z")


@pytest.mark.parametrize(
    "value", ["12.30", "0.00", "-0.00", "-7.05", "12.3", "12.305", "1E+2", "99999999999999.99"]
)
def test_an_amount_renders_as_drf_renders_it(value):
    ours = fast.DecimalField(max_digits=16, decimal_places=2).to_representation(Decimal(value))
    drf = serializers.DecimalField(
        max_digits=16, decimal_places=2, coerce_to_string=False
    ).to_representation(Decimal(value))

    assert ours == drf
    assert str(ours) == str(drf)  # the same places, not just the same value


def test_each_serializer_gets_its_own_copy_of_the_cached_fields():
    first = TransactionInputSerializer(data={})
    second = TransactionInputSerializer(data={})

    assert first.fields["amount"] is not second.fields["amount"]
    assert first.fields["amount"].parent is first
    assert second.fields["amount"].parent is second


def test_changing_a_field_of_one_serializer_leaves_the_next_alone():
    first = TransactionInputSerializer(data={})
    first.fields["amount"].required = False
    mutated = copy.copy(first.fields["amount"].error_messages)

    second = TransactionInputSerializer(data={})

    assert second.fields["amount"].required is True
    assert second.fields["amount"].error_messages == mutated


class _Shouting(serializers.CharField):
    def to_representation(self, value):
        return str(value).upper()


class _Named(fast.Serializer):
    name = serializers.CharField()
    shout = _Shouting(source="name")
    count = serializers.IntegerField()
    flag = serializers.BooleanField()


def test_a_field_that_renders_its_own_way_is_never_passed_through():
    from customers.models import Customer

    row = Customer(account="x")
    row.__dict__.update(name="acme", count=3, flag=True)

    assert _Named(row).data == {"name": "acme", "shout": "ACME", "count": 3, "flag": True}
