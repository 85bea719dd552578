"""A faster loader for PostgreSQL `timestamptz` columns, installed on each new connection.

Django (5.2) reads every `timestamptz` through its own loader, a Python subclass of psycopg's
pure-Python one, so that the datetime carries the connection's time zone object. psycopg's C
loader (psycopg_binary) is three times faster but cannot be subclassed; this loader calls it
and then does what Django's does (`replace(tzinfo=...)`). It is installed only where that is
exact: Django's connection time zone is UTC and so is the session's (Django sets the session
time zone on connect). Every API list reads two to five date-times a row, so this is a tenth of
a millisecond or more per page (docs/performance.md). Held to Django's own loader by
tests/core/test_pg_loaders.py.
"""

from __future__ import annotations

import datetime

UTC = datetime.UTC


def _fast_loader_class():
    from psycopg import adapters
    from psycopg.adapt import Loader
    from psycopg.pq import Format

    compiled = adapters.get_loader(adapters.types["timestamptz"].oid, Format.TEXT)
    if compiled is None or compiled.__module__.startswith("psycopg.types"):
        return None  # psycopg without its C extension: Django's loader is as fast

    class UtcTimestamptzLoader(Loader):
        # Django's create_cursor() compares this with the connection's time zone and, if they
        # differ, puts its own loader back for that cursor.
        timezone = UTC

        def __init__(self, oid, context=None):
            super().__init__(oid, context)
            self._load = compiled(oid, context).load

        def load(self, data):
            return self._load(data).replace(tzinfo=UTC)

    return UtcTimestamptzLoader


_LOADER = None


def install(sender, connection, **kwargs) -> None:
    """`connection_created` receiver."""
    global _LOADER
    if connection.vendor != "postgresql" or connection.timezone is not UTC:
        return
    pg = connection.connection
    if pg.info.parameter_status("TimeZone") not in ("UTC", "Etc/UTC"):
        return
    if _LOADER is None:
        _LOADER = _fast_loader_class() or False
    if _LOADER:
        pg.adapters.register_loader("timestamptz", _LOADER)
