"""Which database a unit of work talks to: live (`default`) or `sandbox` (contract section 6).

The alias lives in a context variable set once per request (from the API key) or per task
(from the task's arguments), so every query, transaction and `on_commit` hook of that work
goes to the same database. Services must open transactions with `atomic()` from here, never
with a bare `transaction.atomic()`, which would always open on `default`.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import transaction
from django.db.models import Value

LIVE = "default"
SANDBOX = "sandbox"

# API keys and their usage are the one thing always read from the live database: the key
# decides which database the rest of the request uses.
ALWAYS_LIVE_MODELS = {("users", "apikey"), ("users", "apikeyusage")}

_alias: ContextVar[str] = ContextVar("db_alias", default=LIVE)


def current_alias() -> str:
    return _alias.get()


@contextmanager
def using_alias(alias: str) -> Iterator[None]:
    token = _alias.set(alias)
    try:
        yield
    finally:
        _alias.reset(token)


def set_alias(alias: str):
    return _alias.set(alias)


def reset_alias(token) -> None:
    _alias.reset(token)


def atomic(savepoint: bool = True):
    return transaction.atomic(using=current_alias(), savepoint=savepoint)


def on_commit(func: Callable[[], None]) -> None:
    transaction.on_commit(func, using=current_alias())


def bulk_create_json(manager, objs: list, *, json_fields: tuple[str, ...]) -> list:
    """`manager.bulk_create(objs)` for rows with large JSON columns (event payloads, audit
    changes). On PostgreSQL Django inserts many rows as `UNNEST(array, …)`, and the
    client-side parameter binding escapes each array element with a regular expression, one
    match per quote character: JSON full of quotes made that most of a bulk insert's time.
    A JSON value wrapped in an expression sends Django down its plain `VALUES` path, where
    each value is escaped once. The instances get their plain values back afterwards."""
    originals = [[getattr(obj, name) for name in json_fields] for obj in objs]
    for obj in objs:
        for name in json_fields:
            field = obj._meta.get_field(name)
            setattr(obj, name, Value(getattr(obj, name), output_field=field))
    try:
        created = manager.bulk_create(objs)
    finally:
        for obj, values in zip(objs, originals, strict=True):
            for name, value in zip(json_fields, values, strict=True):
                setattr(obj, name, value)
    return created


class SandboxRouter:
    def _alias_for(self, model, hints: dict) -> str:
        meta = model._meta
        if (meta.app_label, meta.model_name) in ALWAYS_LIVE_MODELS:
            return LIVE
        # A related manager or save() of a row already read from one database stays on that
        # database (Django's default routing does the same), whatever the current alias: e.g.
        # `group.permissions.set(...)` on a sandbox group from code running outside a sandbox
        # request (a flush's post_migrate handlers) must write the sandbox's join rows.
        instance = hints.get("instance")
        state = getattr(instance, "_state", None)
        if state is not None and state.db:
            return state.db
        return current_alias()

    def db_for_read(self, model, **hints):
        return self._alias_for(model, hints)

    def db_for_write(self, model, **hints):
        return self._alias_for(model, hints)

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return True
