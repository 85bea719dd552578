"""Financial report at 1,000,000 transactions: roll-ups vs the live SQL aggregate.

    .venv/bin/python bench/bench_reports.py [--rows 1000000] [--runs 15] [--write-docs]

Uses its own PostgreSQL database (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/ll_bench_reports), created and migrated if missing. Loads
the transactions with COPY (plus 20,000 invoices with bulk_create, so `outstanding_invoices`
is part of both figures), rebuilds the roll-ups with the same code as `aggregate_reports`,
checks that both ways give identical figures, and times each way several times (median).
The data is kept between runs; `--reload` starts over.
"""

import argparse
import io
import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/ll_bench_reports"
FIRST_DAY = date(2021, 1, 1)
SPAN_DAYS = 5 * 365
INVOICES = 20_000
DOCS_START = "<!-- bench_reports:start -->"
DOCS_END = "<!-- bench_reports:end -->"


def configure(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')  # noqa: S608 - our own constant name
    os.environ["DATABASE_URL"] = url
    os.environ["SANDBOX_DATABASE_URL"] = url
    os.environ.pop("REDIS_URL", None)  # no broker: nothing here queues tasks
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def load(rows: int, reload: bool) -> float:
    from django.db import connection

    from customers.models import Customer
    from ledger.models import Account, Category, Transaction
    from reporting.sources import invoice_model

    if not reload and Transaction.objects.count() == rows:
        print(f"reusing {rows:,} transactions already loaded")
        return 0.0
    started = time.perf_counter()
    with connection.cursor() as cursor:
        tables = ["ledger_transaction", "reporting_rollupcategoryline", "reporting_rollupmonth"]
        invoice = invoice_model()
        if invoice is not None:
            tables += ["billing_payment", "billing_invoiceitem", invoice._meta.db_table]
        cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")  # noqa: S608 - constants
    accounts = [Account.objects.get_or_create(name=f"Bench account {n}")[0].pk for n in range(5)]
    categories = {
        kind: [
            Category.objects.get_or_create(name=f"Bench {kind} {n}", type=kind)[0].pk
            for n in range(8)
        ]
        for kind in ("Income", "Expense")
    }
    rng = random.Random(1)
    buffer = io.StringIO()
    chunk = 100_000
    # Django's connection is in autocommit mode, so the COPY commits when it ends.
    connection.ensure_connection()
    raw = connection.connection
    copy_sql = (
        "COPY ledger_transaction (type, account_id, amount, category_id, description, date,"
        " transfer_direction, created_at, updated_at) FROM STDIN"
    )
    with raw.cursor() as cursor:
        # Generated ids are valid by construction: skip the per-row deferred FK triggers
        # (2 per row) for this load only. Needs a superuser, which the bench database has.
        cursor.execute("SET session_replication_role = replica")
    with raw.cursor() as cursor, cursor.copy(copy_sql) as copy:
        for n in range(rows):
            kind = "Income" if rng.random() < 0.45 else "Expense"
            day = FIRST_DAY + timedelta(days=rng.randrange(SPAN_DAYS))
            cents = rng.randint(100, 500_000)
            category = rng.choice(categories[kind])
            buffer.write(
                f"{kind}\t{rng.choice(accounts)}\t{cents // 100}.{cents % 100:02d}\t{category}"
                f"\tbench\t{day.isoformat()}\t\t2024-01-01 00:00:00+00\t2024-01-01 00:00:00+00\n"
            )
            if (n + 1) % chunk == 0:
                copy.write(buffer.getvalue())
                buffer = io.StringIO()
                print(f"  {n + 1:,} transactions", end="\r", flush=True)
        copy.write(buffer.getvalue())
    with raw.cursor() as cursor:
        cursor.execute("SET session_replication_role = DEFAULT")
    if invoice_model() is not None:
        if not Customer.objects.filter(email="bench0@example.com").exists():
            Customer.objects.bulk_create(
                [Customer(account=f"Bench {n}", email=f"bench{n}@example.com") for n in range(1000)]
            )
        customers = list(Customer.objects.filter(email__startswith="bench"))
        batch = []
        for n in range(INVOICES):
            day = FIRST_DAY + timedelta(days=rng.randrange(SPAN_DAYS))
            total = Decimal(rng.randint(1000, 900_000)) / 100
            paid = rng.choice([Decimal("0.00"), total, (total / 3).quantize(Decimal("0.01"))])
            status = (
                rng.choice(["Unpaid", "Draft", "Cancelled"])
                if paid == 0
                else ("Paid" if paid == total else "Partially Paid")
            )
            batch.append(
                invoice_model()(
                    invoice_number=f"BENCH-{n:07d}",
                    customer=rng.choice(customers),
                    date=day,
                    due_date=day + timedelta(days=30),
                    status=status,
                    subtotal=total,
                    total=total,
                    amount_paid=paid,
                    balance_due=total - paid,
                )
            )
        invoice_model().objects.bulk_create(batch, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    elapsed = time.perf_counter() - started
    print(f"loaded {rows:,} transactions and {INVOICES:,} invoices in {elapsed:.1f} s")
    return elapsed


def timed_pair(rolled_fn, live_fn, runs: int) -> tuple[float, float, object, object]:
    """Median milliseconds of each way. Runs alternate, so load from other processes on a
    shared machine weighs on both ways alike; one warm-up run each first."""
    rolled, live = rolled_fn(), live_fn()
    rolled_samples, live_samples = [], []
    for _ in range(runs):
        started = time.perf_counter()
        rolled = rolled_fn()
        rolled_samples.append(time.perf_counter() - started)
        started = time.perf_counter()
        live = live_fn()
        live_samples.append(time.perf_counter() - started)
    return (
        statistics.median(rolled_samples) * 1000,
        statistics.median(live_samples) * 1000,
        rolled,
        live,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument("--reload", action="store_true")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    configure(url)
    load_seconds = load(args.rows, args.reload)

    from django.db import connection

    from reporting.selectors import Period, financial_report, financial_report_live
    from reporting.services import rollups_rebuild

    started = time.perf_counter()
    summary = rollups_rebuild()
    rebuild_seconds = time.perf_counter() - started
    print(f"rebuilt {summary.months} monthly roll-ups in {rebuild_seconds:.1f} s")

    periods = [
        ("all time", Period()),
        ("one year (2023)", Period(year=2023)),
        ("one month (2023-06)", Period(year=2023, month=6)),
    ]
    results = []
    for label, period in periods:
        rolled_ms, live_ms, rolled, live = timed_pair(
            lambda p=period: financial_report(period=p),
            lambda p=period: financial_report_live(period=p),
            args.runs,
        )
        assert rolled == live, (label, rolled, live)
        results.append((label, rolled_ms, live_ms, live_ms / rolled_ms))
        print(
            f"{label:22} roll-ups {rolled_ms:8.2f} ms   live {live_ms:9.2f} ms"
            f"   {live_ms / rolled_ms:7.1f}x   (identical figures)"
        )

    version = connection.cursor().connection.info.server_version
    table = "\n".join(
        f"| {label} | {rolled:.2f} ms | {live:.2f} ms | {ratio:.1f}× |"
        for label, rolled, live, ratio in results
    )
    section = f"""{DOCS_START}
## Financial report: roll-ups vs live aggregate (`bench/bench_reports.py`)

`GET /api/v2/reports/financial` reads monthly roll-up rows (`reporting.RollupMonth`), kept
fresh by a Celery task queued on commit after every money change and rebuilt nightly. The
benchmark compares `reporting.selectors.financial_report` (roll-ups) with
`financial_report_live` (the same figures aggregated from `ledger_transaction` and
`billing_invoice`) and asserts both return identical figures.

Setup: PostgreSQL {version // 10000}.{version % 10000}, {args.rows:,} transactions over 5 years
(5 accounts, 16 categories) loaded with COPY, {INVOICES:,} invoices, 2 shared CPU cores.
Load {load_seconds:.1f} s (0.0 = data reused from an earlier run), full roll-up rebuild
({summary.months} months) {rebuild_seconds:.1f} s. Median of {args.runs} alternating runs after
one warm-up, in-process (no HTTP).

| period | roll-ups | live aggregate | speed-up |
| --- | --- | --- | --- |
{table}

Goal: ≥ 20× at 1M transactions. Re-run: `.venv/bin/python bench/bench_reports.py --write-docs`.
{DOCS_END}
"""
    print(section)
    if args.write_docs:
        docs = ROOT / "docs" / "performance.md"
        current = docs.read_text() if docs.exists() else "# Performance\n"
        if DOCS_START in current:
            head, rest = current.split(DOCS_START, 1)
            current = head + section.strip() + rest.split(DOCS_END, 1)[1]
        else:
            current = current.rstrip() + "\n\n" + section
        docs.write_text(current)
        print(f"wrote {docs}")


if __name__ == "__main__":
    main()
