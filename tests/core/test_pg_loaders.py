"""core.pg_loaders reads `timestamptz` exactly as Django's own loader does."""

import datetime

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import register_tzloader

from core import pg_loaders
from tests.markers import requires_postgres

pytestmark = [pytest.mark.django_db, requires_postgres]

VALUES = [
    "2026-03-29 01:30:00.123456+00",
    "2026-03-29 03:30:00+02",
    "1900-01-01 00:00:00+00",
    "2199-12-31 23:59:59.999999+00",
    "2026-01-01 00:00:00-13",
]
SELECT = "SELECT " + ", ".join(f"'{v}'::timestamptz" for v in VALUES)


def test_new_connections_read_timestamps_with_the_fast_loader():
    connection.ensure_connection()
    loader = connection.connection.adapters.get_loader(1184, 0)

    assert loader.__name__ == "UtcTimestamptzLoader"
    assert loader.timezone is datetime.UTC


def test_the_fast_loader_reads_what_djangos_reads():
    with connection.cursor() as cursor:
        cursor.execute(SELECT)
        ours = cursor.fetchone()
    with connection.cursor() as cursor:
        register_tzloader(connection.timezone, cursor.cursor)  # Django's loader on this cursor
        cursor.execute(SELECT)
        djangos = cursor.fetchone()

    assert ours == djangos
    assert all(a.tzinfo is b.tzinfo is datetime.UTC for a, b in zip(ours, djangos, strict=True))
    assert ours[1] == datetime.datetime(2026, 3, 29, 1, 30, tzinfo=datetime.UTC)


def test_a_session_not_in_utc_keeps_djangos_loader():
    connection.ensure_connection()
    pg = connection.connection
    register_tzloader(connection.timezone, pg)  # as a connection starts: Django's loader
    with connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'Europe/Paris'")
    try:
        pg_loaders.install(sender=None, connection=connection)

        assert pg.adapters.get_loader(1184, 0).__name__ == "SpecificTzLoader"
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'UTC'")
        pg_loaders.install(sender=None, connection=connection)
