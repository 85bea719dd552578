"""Trigram indexes for the customer search (`?search=` on account, email, phone).

DRF's SearchFilter turns each term into `UPPER(col) LIKE UPPER('%term%')` ORed over the three
columns; a B-tree cannot serve a leading wildcard, so without these every search read the
whole table. One GIN trigram index per searched expression lets PostgreSQL answer the OR with
a BitmapOr of the three (EXPLAIN in docs/performance.md).

PostgreSQL only (pg_trgm): on SQLite this migration does nothing. The indexes are not part of
the models' state on purpose: Django cannot declare an index that exists on one database
vendor only, and no code refers to them by name.
"""

from django.db import migrations

SEARCHED = ("account", "email", "phone")


def _index_name(column: str) -> str:
    return f"customer_{column}_upper_trgm"


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in SEARCHED:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {_index_name(column)} ON customers_customer "
            f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in SEARCHED:
        schema_editor.execute(f"DROP INDEX IF EXISTS {_index_name(column)}")


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_lead")]

    operations = [migrations.RunPython(create_indexes, drop_indexes, elidable=False)]
