"""A small shared helper for services that update some fields of a row."""

from django.db import models


def model_update(
    *, instance: models.Model, fields: list[str], data: dict
) -> tuple[models.Model, list[str]]:
    """Sets the `fields` present in `data` whose value differs on `instance` and saves only
    those (plus an `auto_now` timestamp, if the model has one) with `update_fields`. Returns
    the instance and the names that changed; nothing changed means no query."""
    changed = [name for name in fields if name in data and getattr(instance, name) != data[name]]
    for name in changed:
        setattr(instance, name, data[name])
    if changed:
        stamps = [
            f.name
            for f in instance._meta.concrete_fields
            if getattr(f, "auto_now", False) and f.name not in changed
        ]
        instance.save(update_fields=[*changed, *stamps])
    return instance, changed
