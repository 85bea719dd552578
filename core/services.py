"""Small helpers every room's services share (HackSoft's `model_update`)."""

from typing import Any, TypeVar

from django.db import models

M = TypeVar("M", bound=models.Model)


class Unchanged:
    """The default of an update service's argument whose field may be set to None (a nullable
    date or link): None then means "clear it", and `UNCHANGED` means "leave it"."""

    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED = Unchanged()


def given(**values) -> dict:
    """The update arguments a caller passed: an update service's None means "leave it"."""
    return {name: value for name, value in values.items() if value is not None}


def model_update(*, instance: M, fields: list[str], data: dict[str, Any]) -> tuple[M, list[str]]:
    """Sets those of `fields` that `data` holds and that differ from the instance, then saves
    only them (plus any `auto_now` column such as `updated_at`) with `update_fields`, so a
    concurrent write to another column is never overwritten. Keys of `data` not in `fields`
    are ignored. Returns the instance and the names of the fields that changed (nothing is
    saved when none did). Validation is the caller's: this only writes."""
    opts = instance._meta
    changed: list[str] = []
    for name in fields:
        if name not in data:
            continue
        field = opts.get_field(name)
        value = data[name]
        # A foreign key is compared by id: reading the related object would cost a query.
        current = getattr(instance, field.attname)
        new = value.pk if field.is_relation and isinstance(value, models.Model) else value
        if current != new:
            setattr(instance, name, value)
            changed.append(name)
    if changed:
        auto_now = [f.name for f in opts.concrete_fields if getattr(f, "auto_now", False)]
        instance.save(update_fields=[*changed, *(f for f in auto_now if f not in changed)])
    return instance, changed
