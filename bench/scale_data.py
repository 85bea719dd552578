"""Bulk-loads the scale data set into a dedicated PostgreSQL database with COPY:
100,000 customers, 250,000 invoices with 1,000,000 items, 1,000,000 transactions.

    .venv/bin/python bench/scale_data.py [--db ll_bench_scale] [--scale 1.0] [--fresh]

The database is migrated first (so it has exactly the project's schema and indexes), loaded,
ANALYZEd, and the report roll-ups are rebuilt. Re-running without --fresh keeps a database
that already holds the requested size. `--scale 0.01` builds a small one for a dry run.
Prints the API key (administrator) on the last line, as `create_api_key` does.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (  # noqa: E402
    database_exists,
    database_recreate,
    db_url,
    django_env,
    manage,
)

CUSTOMERS = 100_000
INVOICES = 250_000
ITEMS_PER_INVOICE = 4
TRANSACTIONS = 1_000_000
YEARS = (2024, 2025, 2026)
# Words the customer names are made of; `SEARCH_TERM` matches about 1 name in 40.
WORDS = (
    "acme globex initech umbrella stark wayne wonka tyrell cyberdyne soylent hooli pied piper "
    "vandelay dunder mifflin sterling cooper prestige gringotts monarch oscorp aperture black "
    "mesa northwind contoso fabrikam adventure works litware proseware tailspin wingtip blue "
    "yonder alpine ski house coho vineyard fourth coffee margie travel lucerne publishing "
    "trey research woodgrove bank"
).split()
SEARCH_TERM = "northwind"
ITEM_WORDS = ["Consulting", "Hosting", "Support plan", "Licence", "Design", "Training"]


def _money(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


def _defaults(table: str, columns: list[str]) -> tuple[list[str], tuple]:
    """The columns the generated rows leave out, with the model's default for each: columns
    added by later migrations (a customer's credit balance, an invoice's currency, ...) load
    without this file knowing them. A NOT NULL column without a default stops the load."""
    from django.apps import apps
    from django.db import connection

    model = next(m for m in apps.get_models() if m._meta.db_table == table)
    names, values = [], []
    for field in model._meta.concrete_fields:
        if field.column in columns or field.primary_key or getattr(field, "generated", False):
            continue
        value = field.get_default()
        if value is None:
            if field.null:
                continue
            raise SystemExit(f"{table}.{field.column}: NOT NULL without a default; load it here")
        names.append(field.column)
        values.append(field.get_db_prep_save(value, connection))
    return names, tuple(values)


def _copy(conn, table: str, columns: list[str], rows) -> int:
    extra_columns, extra = _defaults(table, columns)
    count = 0
    with conn.cursor() as cur:
        with cur.copy(f"COPY {table} ({', '.join(columns + extra_columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row + extra)
                count += 1
    return count


def _customers(n: int, now: datetime):
    rng = random.Random(1)
    for i in range(1, n + 1):
        name = f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()} {i}"
        yield (
            i,
            name,
            f"customer{i}@example.com",
            f"555-{i:07d}",
            f"{i} Market Street",
            rng.choice(["New York", "Boston", "Austin", "Denver", "Seattle"]),
            "NY",
            f"{10000 + i % 90000}",
            "US",
            now,
            now,
        )


def _invoices_and_items(n_invoices: int, n_customers: int, now: datetime):
    """Yields (invoice_row, [item_rows]); totals are the exact sums of the items, and the
    numbers are gapless per year in date order."""
    rng = random.Random(2)
    per_year = {year: 0 for year in YEARS}
    dates = sorted(
        date(rng.choice(YEARS), 1, 1) + timedelta(days=rng.randrange(365))
        for _ in range(n_invoices)
    )
    item_id = 0
    for invoice_id, issued in enumerate(dates, start=1):
        per_year[issued.year] += 1
        items = []
        subtotal = Decimal(0)
        for position in range(ITEMS_PER_INVOICE):
            item_id += 1
            qty = Decimal(rng.randint(1, 5))
            amount = _money(rng.uniform(10, 500))
            line = qty * amount
            subtotal += line
            items.append(
                (
                    item_id,
                    rng.choice(ITEM_WORDS),
                    amount,
                    qty,
                    Decimal("0.00"),
                    line,
                    Decimal("0.00"),
                    position,
                    invoice_id,
                    None,
                )
            )
        number = f"INV-{issued.year}-{per_year[issued.year]:03d}"
        invoice = (
            invoice_id,
            number,
            issued,
            issued + timedelta(days=30),
            "Unpaid",
            subtotal,
            Decimal("0.00"),
            Decimal("0.00"),
            subtotal,
            Decimal("0.00"),
            subtotal,
            "",
            now,
            now,
            rng.randint(1, n_customers),
        )
        yield invoice, items, per_year


def _transactions(n: int, accounts: list[int], income_cats: list[int], expense_cats: list[int]):
    rng = random.Random(3)
    now = datetime.now(UTC)
    for i in range(1, n + 1):
        income = rng.random() < 0.55
        yield (
            i,
            "Income" if income else "Expense",
            _money(rng.uniform(5, 2000)),
            "Bulk benchmark row",
            date(rng.choice(YEARS), 1, 1) + timedelta(days=rng.randrange(365)),
            None,
            "",
            None,
            now,
            now,
            rng.choice(accounts),
            rng.choice(income_cats if income else expense_cats),
        )


def load(conn, *, scale: float) -> dict:
    now = datetime.now(UTC)
    n_customers = max(100, int(CUSTOMERS * scale))
    n_invoices = max(100, int(INVOICES * scale))
    n_txns = max(100, int(TRANSACTIONS * scale))
    counts = {}
    started = time.monotonic()
    counts["customers"] = _copy(
        conn,
        "customers_customer",
        "id account email phone address city state zip country created_at updated_at".split(),
        _customers(n_customers, now),
    )
    invoice_cols = (
        "id invoice_number date due_date status subtotal discount tax total amount_paid "
        "balance_due notes created_at updated_at customer_id"
    ).split()
    item_cols = (
        "id description amount qty tax_rate line_subtotal line_tax position invoice_id product_id"
    ).split()
    items_buffer: list[tuple] = []
    last_per_year: dict[int, int] = {}
    extra_columns, extra = _defaults("billing_invoice", invoice_cols)
    with conn.cursor() as cur:
        columns = ", ".join(invoice_cols + extra_columns)
        with cur.copy(f"COPY billing_invoice ({columns}) FROM STDIN") as copy:
            for invoice, items, per_year in _invoices_and_items(n_invoices, n_customers, now):
                copy.write_row(invoice + extra)
                items_buffer.extend(items)
                last_per_year = per_year
    counts["invoices"] = n_invoices
    counts["invoice_items"] = _copy(conn, "billing_invoiceitem", item_cols, items_buffer)
    del items_buffer
    with conn.cursor() as cur:
        for year, last in last_per_year.items():
            cur.execute(
                "INSERT INTO billing_documentcounter (kind, year, last_number) VALUES "
                "('INV', %s, %s) ON CONFLICT (kind, year) DO UPDATE SET last_number = "
                "EXCLUDED.last_number",
                [year, last],
            )
        accounts = []
        for name, opening in [("Business Checking", "25000.00"), ("Savings", "50000.00")]:
            cur.execute(
                "INSERT INTO ledger_account (name, currency, opening_balance, created_at, "
                "updated_at) VALUES (%s, 'USD', %s, now(), now()) RETURNING id",
                [name, opening],
            )
            accounts.append(cur.fetchone()[0])
        cats = {"Income": [], "Expense": []}
        for name, kind in [
            ("Consulting", "Income"),
            ("Subscriptions", "Income"),
            ("Rent", "Expense"),
            ("Salaries", "Expense"),
            ("Software", "Expense"),
        ]:
            cur.execute(
                "INSERT INTO ledger_category (name, type, created_at, updated_at) VALUES "
                "(%s, %s, now(), now()) RETURNING id",
                [name, kind],
            )
            cats[kind].append(cur.fetchone()[0])
    counts["transactions"] = _copy(
        conn,
        "ledger_transaction",
        (
            "id type amount description date transfer_group transfer_direction voided_at "
            "created_at updated_at account_id category_id"
        ).split(),
        _transactions(n_txns, accounts, cats["Income"], cats["Expense"]),
    )
    with conn.cursor() as cur:
        for table in ("customers_customer", "billing_invoice", "billing_invoiceitem"):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT max(id) FROM {table}))"
            )
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('ledger_transaction', 'id'), "
            "(SELECT max(id) FROM ledger_transaction))"
        )
    counts["load_seconds"] = round(time.monotonic() - started, 1)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="ll_bench_scale")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--fresh", action="store_true", help="drop and rebuild the database")
    args = parser.parse_args()

    import psycopg

    env = django_env(args.db)
    wanted = max(100, int(CUSTOMERS * args.scale))
    if not args.fresh and database_exists(args.db):
        with psycopg.connect(db_url(args.db)) as conn:
            try:
                have = conn.execute("SELECT count(*) FROM customers_customer").fetchone()[0]
            except psycopg.Error:
                have = -1
        if have == wanted:
            print(f"{args.db}: already holds {have} customers; keeping it (--fresh rebuilds)")
            # Kept data still gets the current schema and indexes (and fresh planner stats).
            manage(env, "migrate", "--noinput")
            with psycopg.connect(db_url(args.db), autocommit=True) as conn:
                conn.execute("ANALYZE")
            print(manage(env, "create_api_key", "--email", "bench@example.com").splitlines()[-1])
            return
    for name in (args.db, args.db + "_sb"):
        database_recreate(name)
    manage(env, "migrate", "--noinput")
    os.environ.update(env)  # Django, for the models' defaults of the columns not loaded here

    import django

    django.setup()
    with psycopg.connect(db_url(args.db)) as conn:
        counts = load(conn, scale=args.scale)
        conn.commit()
    with psycopg.connect(db_url(args.db), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    manage(env, "aggregate_reports")
    print(f"{args.db}: {counts}")
    print(manage(env, "create_api_key", "--email", "bench@example.com").splitlines()[-1])


if __name__ == "__main__":
    main()
