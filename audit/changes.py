"""What a write changed, as the audit trail stores it: `{field: [before, after]}` with JSON
values the way the API shows them (decimals as numbers, dates as `YYYY-MM-DD`, timestamps
ISO 8601 in UTC with `Z`, related rows by id)."""

import hashlib
from collections.abc import Iterable
from typing import Any

from django.db import models

from core.serialization import to_json_data


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    return value


def _fingerprint(secret: str | None) -> str | None:
    if not secret:
        return None
    return "sha256:" + hashlib.sha256(secret.encode()).hexdigest()[:12]


def snapshot(instance: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The current values of `fields` of `instance` (default: every concrete field but the
    primary key, `auto_now` timestamps, which change on every save, and generated columns,
    which nobody writes and which Django reloads with a query after a save). A foreign key is
    read by its column (`customer` → `customer_id`), so no related row is loaded. Fields the
    model names in `AUDIT_REDACTED_FIELDS` (secrets such as a portal token) are kept as a
    short fingerprint: the trail shows that they changed, never their value."""
    if fields is None:
        fields = [
            f.name
            for f in instance._meta.concrete_fields
            if not f.primary_key and not getattr(f, "auto_now", False) and not f.generated
        ]
    values: dict[str, Any] = {}
    redacted = getattr(instance, "AUDIT_REDACTED_FIELDS", ())
    for name in fields:
        if name in redacted:
            values[name] = _fingerprint(getattr(instance, name))
            continue
        field = instance._meta.get_field(name)
        if getattr(field, "many_to_one", False) or getattr(field, "one_to_one", False):
            values[field.attname] = getattr(instance, field.attname)
        else:
            values[name] = getattr(instance, name)
    return values


def diff_fields(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """`{field: [before, after]}` for every field whose value differs, JSON-ready. A field
    missing on one side counts as None there, so `diff_fields({}, snapshot(new))` describes a
    creation and `diff_fields(snapshot(old), {})` a deletion. Values are compared as Python
    values (Decimal("10.0") equals Decimal("10.00"): no change)."""
    changed: dict[str, list[Any]] = {}
    for name in [*before, *(k for k in after if k not in before)]:
        old, new = _plain(before.get(name)), _plain(after.get(name))
        if old != new:
            changed[name] = [old, new]
    return to_json_data(changed)
