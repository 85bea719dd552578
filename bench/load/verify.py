"""After the load test: checks that the database holds exactly what the clients were told was
written, and that every money invariant holds. Plain SQL, independent of the application's
code, except the account balance, which is read both ways and compared.

    .venv/bin/python bench/load/verify.py --state S --writes W [--wait 60]

Exits non-zero on any violation and prints one line per check.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.common import db_url, django_env  # noqa: E402

EVENT_FOR = {
    "customers": ("customers_customer", "customer.created"),
    "invoices": ("billing_invoice", "invoice.created"),
    "payments": ("billing_payment", "payment.received"),
}


class Checks:
    def __init__(self):
        self.failed = 0
        self.lines: list[str] = []

    def check(self, name: str, ok: bool, detail: str = "") -> None:
        self.failed += 0 if ok else 1
        line = f"{'PASS' if ok else 'FAIL'}  {name}" + (f": {detail}" if detail else "")
        self.lines.append(line)
        print(line, flush=True)


def verify(conn, state: dict, writes: dict, wait: int) -> Checks:
    c = Checks()
    prepared = set(state["customer_ids"])

    # 1. No lost or phantom writes: the rows created during the run are exactly the ones the
    # clients were answered 201 for.
    reported = {
        "customers": {row for row in writes["customers"]},
        "invoices": {row[0] for row in writes["invoices"]},
        "payments": {row[0] for row in writes["payments"]},
    }
    for kind, (table, _) in EVENT_FOR.items():
        ids = {r[0] for r in conn.execute(f"SELECT id FROM {table}")}  # noqa: S608
        if kind == "customers":
            ids -= prepared
        client_ids = reported[kind]
        c.check(
            f"{kind}: every reported write is stored and nothing else was",
            ids == client_ids and len(writes[kind]) == len(client_ids),
            f"clients saw {len(writes[kind])} created, database holds {len(ids)} new rows, "
            f"missing {len(client_ids - ids)}, unreported {len(ids - client_ids)}",
        )

    # 2. Invoice numbers: unique, gapless per year, matching the yearly counter.
    numbers = defaultdict(list)
    for (number,) in conn.execute("SELECT invoice_number FROM billing_invoice"):
        _, year, seq = number.split("-")
        numbers[int(year)].append(int(seq))
    counters = dict(
        conn.execute("SELECT year, last_number FROM billing_documentcounter WHERE kind = 'INV'")
    )
    for year, seqs in sorted(numbers.items()):
        c.check(
            f"invoice numbers {year}: unique and gapless",
            sorted(seqs) == list(range(1, len(seqs) + 1)) and counters.get(year) == len(seqs),
            f"{len(seqs)} invoices, {len(set(seqs))} distinct numbers, max {max(seqs)}, "
            f"counter {counters.get(year)}",
        )
    numbers_seen = {w[1] for w in writes["invoices"]}
    c.check(
        "clients were never given the same invoice number twice",
        len(numbers_seen) == len(writes["invoices"]),
        f"{len(writes['invoices'])} invoices, {len(numbers_seen)} numbers",
    )

    # 3. Invoice money: total = items − discount (+ tax), amount_paid = non-voided payments,
    # balance_due = total − amount_paid, and the status follows.
    bad = conn.execute(
        """
        SELECT i.id, i.total, i.amount_paid, i.balance_due, i.status,
               COALESCE(it.lines, 0) - i.discount AS computed_total,
               COALESCE(p.paid, 0) AS computed_paid
        FROM billing_invoice i
        LEFT JOIN (SELECT invoice_id, SUM(line_subtotal + line_tax) AS lines
                   FROM billing_invoiceitem GROUP BY invoice_id) it ON it.invoice_id = i.id
        LEFT JOIN (SELECT invoice_id, SUM(amount) AS paid FROM billing_payment
                   WHERE voided_at IS NULL GROUP BY invoice_id) p ON p.invoice_id = i.id
        WHERE i.total <> COALESCE(it.lines, 0) - i.discount
           OR i.amount_paid <> COALESCE(p.paid, 0)
           OR i.balance_due <> i.total - i.amount_paid
           OR (i.status = 'Paid') <> (i.amount_paid = i.total AND i.total > 0)
        """
    ).fetchall()
    count = conn.execute("SELECT count(*) FROM billing_invoice").fetchone()[0]
    c.check(
        "invoices: total = items, amount_paid = sum of non-voided payments, balance and "
        "status agree",
        not bad,
        f"{count} invoices checked, {len(bad)} wrong {bad[:3]}",
    )
    paid_by_client = defaultdict(Decimal)
    for _, invoice_id, amount in writes["payments"]:
        paid_by_client[invoice_id] += Decimal(amount)
    stored = dict(conn.execute("SELECT id, amount_paid FROM billing_invoice WHERE amount_paid > 0"))
    c.check(
        "amount paid per invoice equals what the clients paid",
        {k: v for k, v in paid_by_client.items()} == stored,
        f"{len(paid_by_client)} invoices paid by clients, {len(stored)} with payments stored",
    )

    # 4. Every payment is one non-voided Income transaction of the same amount and account.
    bad = conn.execute(
        """
        SELECT p.id FROM billing_payment p
        LEFT JOIN ledger_transaction t ON t.id = p.transaction_id
        WHERE t.id IS NULL OR t.amount <> p.amount OR t.type <> 'Income'
           OR t.account_id <> p.account_id OR t.voided_at IS NOT NULL
        """
    ).fetchall()
    c.check("payments: each has its Income transaction", not bad, f"{len(bad)} wrong")

    # 5. Account balances: opening + income − expenses ± transfers (SQL) equals what the
    # application reports.
    sql_balances = dict(
        conn.execute(
            """
            SELECT a.id, a.opening_balance + COALESCE(SUM(CASE
                WHEN t.type = 'Income' OR (t.type = 'Transfer' AND t.transfer_direction = 'in')
                THEN t.amount ELSE -t.amount END) FILTER (WHERE t.id IS NOT NULL), 0)
            FROM ledger_account a
            LEFT JOIN ledger_transaction t ON t.account_id = a.id AND t.voided_at IS NULL
            GROUP BY a.id
            """
        )
    )
    from ledger.selectors import account_list

    app_balances = {a.pk: a.balance for a in account_list()}
    account = state["account_id"]
    expected = Decimal("10000.00") + sum((Decimal(p[2]) for p in writes["payments"]), Decimal(0))
    c.check(
        "account balances: opening + transactions, SQL and application agree",
        sql_balances == app_balances and sql_balances.get(account) == expected,
        f"load account {sql_balances.get(account)} (expected {expected}), "
        f"application says {app_balances.get(account)}",
    )

    # 6. Outbox: every committed change has its event (same transaction), exactly once.
    for kind, (_, event_type) in EVENT_FOR.items():
        ids = {
            int(r[0])
            for r in conn.execute(
                "SELECT data->>'id' FROM webhooks_event WHERE type = %s AND id > %s",
                [event_type, state["max_event_id"]],
            )
        }
        dup = conn.execute(
            "SELECT count(*) - count(DISTINCT data->>'id') FROM webhooks_event "
            "WHERE type = %s AND id > %s",
            [event_type, state["max_event_id"]],
        ).fetchone()[0]
        c.check(
            f"{kind}: one {event_type} event per write",
            ids == reported[kind] and dup == 0,
            f"{len(reported[kind])} writes, {len(ids)} events, {len(reported[kind] - ids)} "
            f"missing, {dup} duplicated",
        )

    # 7. The Celery worker fanned every new event out (waits for it to drain).
    deadline = time.monotonic() + wait
    while True:
        pending = conn.execute(
            "SELECT count(*) FROM webhooks_event WHERE fanned_out_at IS NULL AND id > %s",
            [state["max_event_id"]],
        ).fetchone()[0]
        if pending == 0 or time.monotonic() > deadline:
            break
        time.sleep(2)
    total = conn.execute(
        "SELECT count(*) FROM webhooks_event WHERE id > %s", [state["max_event_id"]]
    ).fetchone()[0]
    c.check(
        "events: the worker fanned out every new event",
        pending == 0,
        f"{total} events, {pending} still waiting after {wait}s",
    )
    return c


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state", required=True)
    parser.add_argument("--writes", required=True)
    parser.add_argument("--wait", type=int, default=60)
    parser.add_argument("--out")
    args = parser.parse_args()
    state = json.loads(Path(args.state).read_text())
    writes = json.loads(Path(args.writes).read_text())
    os.environ.update(django_env(state["db"]))

    import django
    import psycopg

    django.setup()
    with psycopg.connect(db_url(state["db"]), autocommit=True) as conn:
        checks = verify(conn, state, writes, args.wait)
    summary = f"{len(checks.lines) - checks.failed} passed, {checks.failed} failed"
    print(summary)
    if args.out:
        Path(args.out).write_text("\n".join([*checks.lines, summary]) + "\n")
    sys.exit(1 if checks.failed else 0)


if __name__ == "__main__":
    main()
