"""Builds the load test's database from nothing: migrate, 1000 customers (through the batch
service, so they have their events and audit entries), one bank account, five overdue
invoices, an administrator's API key.

    .venv/bin/python bench/load/prepare.py --db ll_bench_load --state bench/results/load-state.json

Writes the ids the clients need and the high-water marks verify.py compares against.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.common import database_recreate, django_env, manage  # noqa: E402

PREPARED_CUSTOMERS = 1000
OVERDUE_INVOICES = 5
FOREIGN, FOREIGN_RATE = "EUR", Decimal("1.085000")
WORDS = ["Acme", "Globex", "Northwind", "Initech", "Umbrella", "Contoso", "Hooli", "Stark"]


def _max_ids() -> dict[str, int]:
    from django.db import connection

    from bench.load.scenarios import WRITES

    tables = {w.table for w in WRITES.values() if w.table} | {
        "webhooks_event",
        "audit_auditevent",
        "mail_emailmessage",
        "ledger_transaction",
    }
    with connection.cursor() as cursor:
        marks = {}
        for table in sorted(tables):
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
            marks[table] = cursor.fetchone()[0]
    return marks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="ll_bench_load")
    parser.add_argument("--state", required=True)
    args = parser.parse_args()
    env = django_env(args.db)
    for name in (args.db, args.db + "_sb"):
        database_recreate(name)
    manage(env, "migrate", "--noinput")
    manage(env, "migrate", "--noinput", "--database", "sandbox")
    key = manage(env, "create_api_key", "--email", "load@example.com", "--name", "load test")
    os.environ.update(env)

    import django

    django.setup()
    from billing.services import invoice_create
    from customers.services import customer_batch_create
    from ledger.services import account_create, exchange_rate_create

    customers = customer_batch_create(
        records=[
            {
                "account": f"{WORDS[i % len(WORDS)]} {i}",
                "email": f"prepared-{i}@example.com",
                "phone": f"555-01{i:04d}",
            }
            for i in range(PREPARED_CUSTOMERS)
        ]
    )
    account = account_create(
        name="Load Test Checking", opening_balance=Decimal("10000.00"), currency="USD"
    )
    # Foreign-currency documents (scenarios.foreign_invoice_create) take this rate; their
    # payments and refunds go to an account in their currency.
    long_ago = date.today() - timedelta(days=400)  # noqa: DTZ011 - the server's local date
    exchange_rate_create(currency=FOREIGN, date=long_ago, rate=FOREIGN_RATE)
    foreign_account = account_create(
        name=f"Load Test {FOREIGN}", opening_balance=Decimal("0.00"), currency=FOREIGN
    )
    # Overdue from the start, so the reminders job has work however short the run (the clients
    # add more: scenarios.overdue_invoice_create).
    issued = date.today() - timedelta(days=40)  # noqa: DTZ011 - the server's local date
    for customer in customers[:OVERDUE_INVOICES]:
        invoice_create(
            customer=customer,
            items=[{"description": "Consulting", "qty": 1, "amount": Decimal("250.00")}],
            date=issued,
            due_date=issued + timedelta(days=30),
        )
    state = {
        "db": args.db,
        "api_key": key.strip().splitlines()[-1],
        "account_id": account.pk,
        "foreign_account_id": foreign_account.pk,
        "customer_ids": [c.pk for c in customers],
        # High-water marks: what verify.py finds above them was written during the run.
        "max_ids": _max_ids(),
        "opening_balance": str(account.opening_balance),
    }
    Path(args.state).write_text(json.dumps(state))
    print(f"prepared {args.db}: {len(customers)} customers, account {account.pk}")


if __name__ == "__main__":
    main()
