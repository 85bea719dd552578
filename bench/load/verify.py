"""After the load test: checks that the database holds exactly what the clients were told was
written, with exactly the events, audit entries and emails each write must leave behind
(scenarios.WRITES), and that every money invariant holds. Plain SQL, independent of the
application's code, except where the application's own figure is what is compared (account
balances, the report roll-ups against the live aggregate).

    .venv/bin/python bench/load/verify.py --state S --writes W --smtp M [--wait 60]

Each check is one function registered with `@check` (add one beside a new scenario); exits
non-zero on any violation and prints one line per result.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.common import db_url, django_env  # noqa: E402
from bench.load.scenarios import WRITES  # noqa: E402

ZERO = Decimal(0)
# (counter kind, table, number column): every numbered sequence.
SEQUENCES = [
    ("INV", "billing_invoice", "invoice_number"),
    ("QUO", "billing_quote", "quote_number"),
    ("CN", "billing_creditnote", "credit_note_number"),
]
NUMBER = re.compile(r"^[A-Z]+-(\d{4})-(\d{3,})$")
# Announced only when a write crosses a line (becoming Paid): checked on its own below.
CONDITIONAL_EVENTS = {"invoice.paid"}


class Checks:
    def __init__(self):
        self.failed = 0
        self.lines: list[str] = []

    def check(self, name: str, ok: bool, detail: str = "") -> None:
        self.failed += 0 if ok else 1
        line = f"{'PASS' if ok else 'FAIL'}  {name}" + (f": {detail}" if detail else "")
        self.lines.append(line)
        print(line, flush=True)


@dataclass
class Run:
    conn: object
    state: dict
    writes: dict[str, list[dict]]
    statuses: dict[str, int]
    smtp: list[dict]
    wait: int
    jobs: dict[str, str]

    def mark(self, table: str) -> int:
        return self.state["max_ids"].get(table, 0)

    def rows(self, sql: str, params=()) -> list[tuple]:
        return self.conn.execute(sql, params).fetchall()

    def ids(self, kind: str, field: str = "id") -> list[int]:
        return [int(w[field]) for w in self.writes.get(kind, []) if w.get(field) is not None]


CHECKS: list[Callable[[Run, Checks], None]] = []


def check(fn: Callable[[Run, Checks], None]) -> Callable[[Run, Checks], None]:
    CHECKS.append(fn)
    return fn


def _diff(expected: Counter, actual: Counter) -> str:
    missing = sum((expected - actual).values())
    extra = sum((actual - expected).values())
    return (
        f"expected {sum(expected.values())}, found {sum(actual.values())}, missing {missing}, "
        f"unexpected {extra}"
    )


# --- answers ----------------------------------------------------------------------------------


@check
def no_server_errors(run: Run, c: Checks) -> None:
    errors = {code: n for code, n in run.statuses.items() if int(code) >= 500 and code != "503"}
    total = sum(run.statuses.values())
    c.check("no 5xx answer (503 on a Redis outage aside)", not errors, f"{total} answers, {errors}")


# --- rows -------------------------------------------------------------------------------------


@check
def writes_stored_once(run: Run, c: Checks) -> None:
    """The rows created during the run are exactly the ones the clients were answered for."""
    by_table: dict[str, list[int]] = defaultdict(list)
    for kind, write in WRITES.items():
        if write.table:
            by_table[write.table] += run.ids(kind)
    for table, reported in sorted(by_table.items()):
        sql = f"SELECT id FROM {table} WHERE id > %s"  # noqa: S608 - tables from WRITES
        stored = {r[0] for r in run.rows(sql, [run.mark(table)])}
        c.check(
            f"{table}: every reported write is stored once and nothing else was",
            stored == set(reported) and len(reported) == len(set(reported)),
            f"clients saw {len(reported)} created, {len(stored)} new rows, missing "
            f"{len(set(reported) - stored)}, unreported {len(stored - set(reported))}",
        )


@check
def numbers_gapless(run: Run, c: Checks) -> None:
    counters = {
        (k, y): n
        for k, y, n in run.rows("SELECT kind, year, last_number FROM billing_documentcounter")
    }
    for kind, table, column in SEQUENCES:
        per_year: dict[int, list[int]] = defaultdict(list)
        malformed = []
        for (number,) in run.rows(f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL"):  # noqa: S608
            match = NUMBER.match(number)
            if not match or not number.startswith(kind + "-"):
                malformed.append(number)
                continue
            per_year[int(match[1])].append(int(match[2]))
        c.check(f"{kind} numbers well formed", not malformed, f"{malformed[:5]}")
        for year, seqs in sorted(per_year.items()):
            c.check(
                f"{kind}-{year}: unique and gapless, counter agrees",
                sorted(seqs) == list(range(1, len(seqs) + 1))
                and counters.get((kind, year)) == len(seqs),
                f"{len(seqs)} numbers, {len(set(seqs))} distinct, max {max(seqs)}, counter "
                f"{counters.get((kind, year))}",
            )
    given = [w["number"] for k in ("invoice", "draft_issue") for w in run.writes.get(k, [])]
    given += [w["number"] for w in run.writes.get("credit_note", [])]
    c.check(
        "clients were never given the same number twice",
        len(given) == len(set(given)),
        f"{len(given)} numbers given, {len(set(given))} distinct",
    )
    drafts = run.rows(
        "SELECT count(*) FROM billing_invoice WHERE status = 'Draft' AND invoice_number IS NOT NULL"
    )[0][0]
    c.check("drafts hold no number", drafts == 0, f"{drafts} numbered drafts")


# --- money ------------------------------------------------------------------------------------


@check
def invoices_add_up(run: Run, c: Checks) -> None:
    """total = lines; amount_paid = live payments; amount_credited = credit notes; balance due
    and status follow (billing.services._figures_apply's rule, restated in SQL)."""
    bad = run.rows(
        """
        SELECT i.id, i.status, i.total, i.amount_paid, i.amount_credited, i.balance_due
        FROM billing_invoice i
        LEFT JOIN (SELECT invoice_id, SUM(line_subtotal - line_discount + line_tax) AS total,
                          SUM(line_discount) AS discount
                   FROM billing_invoiceitem GROUP BY invoice_id) it ON it.invoice_id = i.id
        LEFT JOIN (SELECT invoice_id, SUM(amount) AS paid FROM billing_payment
                   WHERE voided_at IS NULL GROUP BY invoice_id) p ON p.invoice_id = i.id
        LEFT JOIN (SELECT invoice_id, SUM(total) AS credited FROM billing_creditnote
                   GROUP BY invoice_id) cn ON cn.invoice_id = i.id
        WHERE i.total <> COALESCE(it.total, 0)
           OR i.discount <> COALESCE(it.discount, 0)
           OR i.amount_paid <> COALESCE(p.paid, 0)
           OR i.amount_credited <> COALESCE(cn.credited, 0)
           OR (i.status IN ('Draft', 'Cancelled') AND i.balance_due <> 0)
           OR (i.status IN ('Unpaid', 'Partially Paid', 'Paid') AND (
                 i.balance_due <> GREATEST(i.total - i.amount_paid - i.amount_credited, 0)
              OR i.status <> CASE
                   WHEN GREATEST(i.total - i.amount_paid - i.amount_credited, 0) = 0 THEN 'Paid'
                   WHEN i.amount_paid + i.amount_credited > 0 THEN 'Partially Paid'
                   ELSE 'Unpaid' END))
        """
    )
    count = run.rows("SELECT count(*) FROM billing_invoice")[0][0]
    c.check(
        "invoices: total = lines, paid = payments, credited = credit notes, balance and "
        "status agree",
        not bad,
        f"{count} invoices, {len(bad)} wrong {bad[:3]}",
    )
    paid, credited = defaultdict(Decimal), defaultdict(Decimal)
    for w in run.writes.get("payment", []):
        paid[int(w["invoice_id"])] += Decimal(w["amount"])
    for w in run.writes.get("stripe_payment", []):
        if Decimal(w["applied"]) > 0:
            paid[int(w["invoice_id"])] += Decimal(w["applied"])
    for w in run.writes.get("credit_note", []):
        credited[int(w["invoice_id"])] += Decimal(w["amount"])
    stored_paid = dict(
        run.rows("SELECT id, amount_paid FROM billing_invoice WHERE amount_paid > 0")
    )
    stored_credited = dict(
        run.rows("SELECT id, amount_credited FROM billing_invoice WHERE amount_credited > 0")
    )
    c.check(
        "per invoice, paid and credited are what the clients paid and credited",
        dict(paid) == stored_paid and dict(credited) == stored_credited,
        f"{len(paid)} invoices paid, {len(stored_paid)} stored; {len(credited)} credited, "
        f"{len(stored_credited)} stored",
    )


@check
def credit_balances(run: Run, c: Checks) -> None:
    """A customer's credit = credit notes settled as credit − payments taken from credit."""
    bad = run.rows(
        """
        SELECT cu.id, cu.credit_balance,
               COALESCE(cn.credit, 0) + COALESCE(op.credit, 0) - COALESCE(p.used, 0)
        FROM customers_customer cu
        LEFT JOIN (SELECT customer_id, SUM(settled_amount) AS credit FROM billing_creditnote
                   WHERE settlement = 'credit' GROUP BY customer_id) cn ON cn.customer_id = cu.id
        LEFT JOIN (SELECT i.customer_id, SUM(o.credited) AS credit FROM billing_onlinepayment o
                   JOIN billing_invoice i ON i.id = o.invoice_id GROUP BY i.customer_id)
             op ON op.customer_id = cu.id
        LEFT JOIN (SELECT i.customer_id, SUM(p.amount) AS used FROM billing_payment p
                   JOIN billing_invoice i ON i.id = p.invoice_id
                   WHERE p.source = 'credit' AND p.voided_at IS NULL GROUP BY i.customer_id)
             p ON p.customer_id = cu.id
        WHERE cu.credit_balance
              <> COALESCE(cn.credit, 0) + COALESCE(op.credit, 0) - COALESCE(p.used, 0)
        """
    )
    given = sum((Decimal(w["amount"]) for w in run.writes.get("credit_settled", [])), ZERO)
    given += sum((Decimal(w["credited"]) for w in run.writes.get("stripe_payment", [])), ZERO)
    stored = run.rows("SELECT COALESCE(SUM(credit_balance), 0) FROM customers_customer")[0][0]
    c.check(
        "customer credit balances = credit notes settled as credit + paid online above the "
        "balance − credit spent",
        not bad and stored == given,
        f"{len(bad)} customers wrong {bad[:3]}; credit given to clients {given}, held {stored}",
    )


@check
def ledger_matches(run: Run, c: Checks) -> None:
    """Every payment from an account is its Income transaction, every refund its Expense one,
    no other transaction appeared, and balances are opening + transactions."""
    bad = run.rows(
        """
        SELECT p.id FROM billing_payment p
        LEFT JOIN ledger_transaction t ON t.id = p.transaction_id
        WHERE p.source = 'account' AND (t.id IS NULL OR t.amount <> p.amount
           OR t.type <> 'Income' OR t.account_id <> p.account_id
           OR (t.voided_at IS NULL) <> (p.voided_at IS NULL))
        """
    )
    c.check("payments: each has its Income transaction", not bad, f"{len(bad)} wrong {bad[:3]}")
    bad = run.rows(
        """
        SELECT n.id FROM billing_creditnote n
        LEFT JOIN ledger_transaction t ON t.id = n.transaction_id
        WHERE (n.settlement = 'refund') <> (t.id IS NOT NULL)
           OR (t.id IS NOT NULL AND (t.amount <> n.settled_amount OR t.type <> 'Expense'
               OR t.account_id <> n.account_id))
        """
    )
    c.check(
        "refunds: each refunded credit note has its Expense transaction",
        not bad,
        f"{len(bad)} wrong",
    )
    expected = set(run.ids("payment", "transaction_id")) | set(run.ids("refund", "transaction_id"))
    expected |= set(run.ids("online_payment", "transaction_id"))
    expected |= set(run.ids("online_credit", "transaction_id"))
    new = {
        r[0]
        for r in run.rows(
            "SELECT id FROM ledger_transaction WHERE id > %s", [run.mark("ledger_transaction")]
        )
    }
    c.check(
        "transactions: exactly the payments', refunds' and online credits' ones appeared",
        new == expected,
        f"{len(expected)} expected, {len(new)} new, missing {len(expected - new)}, "
        f"unexplained {len(new - expected)}",
    )
    sql_balances = dict(
        run.rows(
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
    # What the clients were told moved, per account: Stripe's money lands on the base one.
    account, foreign = run.state["account_id"], run.state["foreign_account_id"]
    expected_balance = {account: Decimal(run.state["opening_balance"]), foreign: ZERO}
    for w in run.writes.get("payment", []):
        expected_balance[int(w["account_id"])] += Decimal(w["amount"])
    for w in run.writes.get("refund", []):
        expected_balance[int(w["account_id"])] -= Decimal(w["amount"])
    for w in run.writes.get("stripe_payment", []):
        expected_balance[account] += Decimal(w["amount"])
    c.check(
        "account balances: opening + payments + paid online − refunds, per currency; SQL and "
        "application agree",
        sql_balances == app_balances
        and all(sql_balances.get(pk) == value for pk, value in expected_balance.items()),
        f"base account {sql_balances.get(account)} (expected {expected_balance[account]}), "
        f"foreign {sql_balances.get(foreign)} (expected {expected_balance[foreign]}), "
        f"application says {app_balances.get(account)} / {app_balances.get(foreign)}",
    )


# --- outbox and audit -------------------------------------------------------------------------


@check
def one_event_per_write(run: Run, c: Checks) -> None:
    expected: dict[str, Counter] = defaultdict(Counter)
    for kind, write in WRITES.items():
        for effect in write.events:
            expected[effect.name].update(run.ids(kind, effect.field))
    actual: dict[str, Counter] = defaultdict(Counter)
    for event_type, data_id in run.rows(
        "SELECT type, data->>'id' FROM webhooks_event WHERE id > %s", [run.mark("webhooks_event")]
    ):
        actual[event_type][int(data_id)] += 1
    for event_type in sorted(expected):
        c.check(
            f"events {event_type}: one per write",
            expected[event_type] == actual[event_type],
            _diff(expected[event_type], actual[event_type]),
        )
    stray = {
        t: sum(n.values())
        for t, n in actual.items()
        if t not in expected and t not in CONDITIONAL_EVENTS
    }
    c.check("events: none that no write explains", not stray, f"{stray}")
    paid = Counter(
        {r[0]: 1 for r in run.rows("SELECT id FROM billing_invoice WHERE status = 'Paid'")}
    )
    c.check(
        "events invoice.paid: once per invoice that became Paid",
        actual["invoice.paid"] == paid,
        _diff(paid, actual["invoice.paid"]),
    )


@check
def one_audit_entry_per_write(run: Run, c: Checks) -> None:
    expected: dict[str, Counter] = defaultdict(Counter)
    for kind, write in WRITES.items():
        for effect in write.audits:
            expected[effect.name].update(run.ids(kind, effect.field))
    actual: dict[str, Counter] = defaultdict(Counter)
    for action, resource_id in run.rows(
        "SELECT action, resource_id FROM audit_auditevent WHERE id > %s",
        [run.mark("audit_auditevent")],
    ):
        actual[action][int(resource_id)] += 1
    for action in sorted(expected):
        c.check(
            f"audit {action}: one entry per write",
            expected[action] == actual[action],
            _diff(expected[action], actual[action]),
        )
    stray = {a: sum(n.values()) for a, n in actual.items() if a not in expected}
    c.check("audit: no entry that no write explains", not stray, f"{stray}")


@check
def events_fanned_out(run: Run, c: Checks) -> None:
    deadline = time.monotonic() + run.wait
    mark = run.mark("webhooks_event")
    while True:
        pending = run.rows(
            "SELECT count(*) FROM webhooks_event WHERE fanned_out_at IS NULL AND id > %s", [mark]
        )[0][0]
        if pending == 0 or time.monotonic() > deadline:
            break
        time.sleep(2)
    total = run.rows("SELECT count(*) FROM webhooks_event WHERE id > %s", [mark])[0][0]
    c.check(
        "events: the worker fanned out every new event",
        pending == 0,
        f"{total} events, {pending} still waiting after {run.wait}s",
    )


# --- email ------------------------------------------------------------------------------------


@check
def emails_each_sent_once(run: Run, c: Checks) -> None:
    rows = run.rows(
        "SELECT id, purpose, dedupe_key, invoice_id, quote_id, status, message_id, "
        "credit_note_id "
        "FROM mail_emailmessage WHERE id > %s",
        [run.mark("mail_emailmessage")],
    )
    by_id = {r[0]: r for r in rows}
    asked = [
        (w["email_id"], "invoice", "invoice_id", w["invoice_id"])
        for w in run.writes.get("invoice_send", [])
    ]
    asked += [
        (w["email_id"], "quote", "quote_id", w["quote_id"])
        for w in run.writes.get("quote_send", [])
    ]
    asked += [
        (w["email_id"], "credit_note", "credit_note_id", w["credit_note_id"])
        for w in run.writes.get("credit_note_send", [])
    ]
    column = {"invoice_id": 3, "quote_id": 4, "credit_note_id": 7}
    wrong = [
        email_id
        for email_id, purpose, link, linked in asked
        if email_id not in by_id
        or by_id[email_id][1] != purpose
        or by_id[email_id][column[link]] != linked
    ]
    c.check(
        "emails the clients asked for: each queued, for its document",
        not wrong,
        f"{len(asked)} asked, {len(wrong)} wrong",
    )
    sends = sum(1 for r in rows if r[1] in ("invoice", "quote", "credit_note"))
    c.check(
        "no document email nobody asked for",
        sends == len(asked),
        f"{sends} stored, {len(asked)} asked",
    )
    receipts = Counter(r[2] for r in rows if r[1] == "receipt")
    wanted = Counter(f"receipt:{pk}" for pk in run.ids("payment") + run.ids("online_payment"))
    c.check(
        "receipts: one per payment (online ones included)",
        receipts == wanted,
        _diff(wanted, receipts),
    )
    credit_notes = Counter(r[7] for r in rows if r[1] == "credit_note")
    c.check(
        "credit notes: each send emailed once",
        credit_notes == Counter(run.ids("credit_note_send", "credit_note_id")),
        f"{sum(credit_notes.values())} credit note emails for {len(credit_notes)} notes",
    )
    reminders = Counter((r[3], r[1]) for r in rows if r[1].startswith("reminder:"))
    doubled = [k for k, n in reminders.items() if n > 1]
    c.check(
        "reminders: each (invoice, step) at most once, the job run twice at once",
        not doubled and len(reminders) > 0,
        f"{sum(reminders.values())} reminders for {len(reminders)} (invoice, step), "
        f"{len(doubled)} doubled",
    )
    not_sent = [r[0] for r in rows if r[5] != "sent"]
    c.check(
        "every message queued during the run was sent",
        not not_sent,
        f"{len(rows)} messages, {len(not_sent)} not sent",
    )
    stored = Counter(r[6].strip("<>") for r in rows)
    received = Counter(m["message_id"].strip("<>") for m in run.smtp)
    c.check(
        "the SMTP server received each message exactly once, and nothing else",
        stored == received,
        _diff(stored, received) + f"; by purpose {dict(Counter(r[1].split(':')[0] for r in rows))}",
    )


# --- reports ----------------------------------------------------------------------------------


@check
def reports_equal_live_aggregates(run: Run, c: Checks) -> None:
    """The roll-ups the report reads (refreshed by the worker after each money change) equal
    the live aggregate, and the live aggregate equals plain SQL over the source tables."""
    from django.conf import settings

    from reporting.selectors import Period, category_report, financial_report, financial_report_live

    today = date.today()  # noqa: DTZ011 - the server's local date
    earlier = date.fromordinal(today.toordinal() - 40)
    periods = {
        "all time": Period(),
        f"year {today.year}": Period(year=today.year),
        f"month {today:%Y-%m}": Period(year=today.year, month=today.month),
        f"month {earlier:%Y-%m}": Period(year=earlier.year, month=earlier.month),
    }
    deadline = time.monotonic() + run.wait
    while True:
        differ = {
            label: (financial_report(period=p), financial_report_live(period=p))
            for label, p in periods.items()
        }
        differ = {k: v for k, v in differ.items() if v[0] != v[1]}
        if not differ or time.monotonic() > deadline:
            break
        time.sleep(2)
    c.check(
        "financial report: roll-ups = live aggregate",
        not differ,
        f"{len(periods)} periods; differ: {differ}",
    )
    # In the base currency: each row at its own rate, rounded once, at the end.
    income, expenses = run.rows(
        "SELECT ROUND(COALESCE(SUM(amount * exchange_rate) FILTER (WHERE type = 'Income'), 0), 2), "
        "ROUND(COALESCE(SUM(amount * exchange_rate) FILTER (WHERE type = 'Expense'), 0), 2) "
        "FROM ledger_transaction WHERE voided_at IS NULL"
    )[0]
    outstanding = run.rows(
        "SELECT ROUND(COALESCE(SUM(balance_due * exchange_rate), 0), 2) FROM billing_invoice "
        "WHERE status NOT IN ('Draft', 'Cancelled')"
    )[0][0]
    foreign = run.rows(
        "SELECT (SELECT count(*) FROM billing_invoice WHERE currency <> %s), "
        "(SELECT count(*) FROM ledger_transaction WHERE exchange_rate IS NULL)",
        [settings.BASE_CURRENCY],
    )[0]
    c.check(
        "foreign-currency documents exist (so the conversion is tested), no rate missing",
        foreign[0] > 0 and foreign[1] == 0,
        f"{foreign[0]} invoices not in {settings.BASE_CURRENCY}, {foreign[1]} transactions "
        "without a rate",
    )
    report = financial_report(period=Period())
    c.check(
        "financial report (all time) = SQL over transactions and invoices",
        (report["income"], report["expenses"], report["outstanding_invoices"])
        == (income, expenses, outstanding),
        f"report {report}; SQL income {income}, expenses {expenses}, outstanding {outstanding}",
    )
    by_category = {
        (t, cat): total
        for t, cat, total in run.rows(
            "SELECT type, category_id, ROUND(SUM(amount * exchange_rate), 2) "
            "FROM ledger_transaction "
            "WHERE voided_at IS NULL AND type IN ('Income', 'Expense') GROUP BY type, category_id"
        )
    }
    categories = category_report(period=Period())
    reported = {("Income", line["category_id"]): line["total"] for line in categories["income"]}
    reported |= {("Expense", line["category_id"]): line["total"] for line in categories["expenses"]}
    c.check(
        "category report (all time) = SQL per category",
        reported == by_category,
        f"{len(by_category)} categories in SQL, {len(reported)} in the report",
    )


# --- recurring generation -------------------------------------------------------------------


@check
def recurring_each_period_once(run: Run, c: Checks) -> None:
    """The generator ran twice at once: each schedule's invoices are its periods 0 … n−1,
    each once, dated by the schedule's rule; what was due when the job started was issued."""
    from billing.recurring import period_date

    schedules = run.rows(
        "SELECT id, frequency, interval, start_date, next_period, next_date, invoices_count, "
        "created_at FROM billing_recurringinvoice WHERE id > %s",
        [run.mark("billing_recurringinvoice")],
    )
    issued: dict[int, list[date]] = defaultdict(list)
    for schedule_id, period in run.rows(
        "SELECT recurring_invoice_id, period_date FROM billing_invoice "
        "WHERE recurring_invoice_id IS NOT NULL"
    ):
        issued[schedule_id].append(period)
    doubled = sum(len(p) - len(set(p)) for p in issued.values())
    wrong, late = [], []
    started = run.jobs.get("generate_recurring_invoices")
    job_start = datetime.fromisoformat(started) if started else None
    for pk, frequency, interval, start, next_period, next_date, count, created in schedules:
        rule = [
            period_date(start_date=start, frequency=frequency, interval=interval, n=n)
            for n in range(next_period)
        ]
        if sorted(issued.get(pk, [])) != rule or count != next_period:
            wrong.append(pk)
        if job_start and created < job_start and next_date is not None and next_date <= today():
            late.append(pk)
    total = sum(len(p) for p in issued.values())
    c.check(
        "recurring: each (schedule, period) issued once, by the schedule's dates, the job run "
        "twice at once",
        not doubled and not wrong and total > 0 and job_start is not None,
        f"{len(schedules)} schedules, {total} invoices issued, {doubled} doubled, "
        f"{len(wrong)} wrong {wrong[:3]}, job started {started}",
    )
    c.check(
        "recurring: every period due when the job started was issued",
        not late,
        f"{len(late)} schedules created before the job still due {late[:3]}",
    )


def today() -> date:
    return date.today()  # noqa: DTZ011 - the server's local date


# --- portal and Stripe ----------------------------------------------------------------------


@check
def online_payments_once(run: Run, c: Checks) -> None:
    """One OnlinePayment per payment intent delivered (once, twice, or twice at once), for
    what was sent: the balance due as a payment, the rest as credit."""
    reported = {w["intent"]: w for w in run.writes.get("stripe_payment", [])}
    stored = {
        ref: (invoice_id, amount, credited, payment_amount)
        for ref, invoice_id, amount, credited, payment_amount in run.rows(
            "SELECT o.reference, o.invoice_id, o.amount, o.credited, p.amount "
            "FROM billing_onlinepayment o LEFT JOIN billing_payment p ON p.id = o.payment_id"
        )
    }
    wrong = [
        ref
        for ref, w in reported.items()
        if stored.get(ref)
        != (
            int(w["invoice_id"]),
            Decimal(w["amount"]),
            Decimal(w["credited"]),
            Decimal(w["applied"]) if Decimal(w["applied"]) > 0 else None,
        )
    ]
    deliveries = Counter(w["deliveries"] for w in reported.values())
    c.check(
        "Stripe: one payment per payment intent, redelivered or delivered twice at once",
        not wrong and set(stored) == set(reported) and deliveries["together"] > 0,
        f"{len(reported)} intents delivered ({dict(deliveries)}), {len(stored)} recorded, "
        f"{len(wrong)} wrong {wrong[:3]}",
    )
    overpaid = sum(1 for w in reported.values() if Decimal(w["credited"]) > 0)
    c.check(
        "Stripe: overpayments went to the customer's credit",
        overpaid > 0,
        f"{overpaid} of {len(reported)} paid above the balance due",
    )
    doubled = run.rows(
        "SELECT external_reference FROM billing_payment WHERE external_reference <> '' "
        "GROUP BY external_reference HAVING count(*) > 1"
    )
    c.check("payments: no external reference twice", not doubled, f"{doubled[:3]}")


@check
def quotes_accepted_in_portal(run: Run, c: Checks) -> None:
    reported = set(run.ids("quote_accept", "quote_id"))
    accepted = dict(
        run.rows(
            "SELECT id, accepted_by FROM billing_quote WHERE status = 'Accepted' AND id > %s",
            [run.mark("billing_quote")],
        )
    )
    c.check(
        "portal: the quotes accepted are the ones the customers accepted, signed",
        set(accepted) == reported and set(accepted.values()) <= {"Load Test Signer"},
        f"{len(reported)} accepted in the portal, {len(accepted)} Accepted",
    )


def _derived_writes(run: Run) -> None:
    """What the server wrote without a client being told: the generator's invoices and the
    Stripe webhook's payments, read back so their events and audit entries are checked like
    every other write's (their own checks above say they are right)."""
    run.writes["recurring_generated"] = [
        {"id": pk}
        for (pk,) in run.rows(
            "SELECT id FROM billing_invoice WHERE recurring_invoice_id IS NOT NULL AND id > %s",
            [run.mark("billing_invoice")],
        )
    ]
    run.writes["recurring_progress"] = [
        {"id": pk}
        for (pk,) in run.rows(
            "SELECT id FROM billing_recurringinvoice WHERE invoices_count > 0 AND id > %s",
            [run.mark("billing_recurringinvoice")],
        )
    ]
    intents = [w["intent"] for w in run.writes.get("stripe_payment", [])]
    rows = run.rows(
        "SELECT o.id, o.payment_id, o.invoice_id, p.transaction_id, o.credit_transaction_id, "
        "i.customer_id FROM billing_onlinepayment o JOIN billing_invoice i ON i.id = o.invoice_id "
        "LEFT JOIN billing_payment p ON p.id = o.payment_id WHERE o.reference = ANY(%s)",
        [intents],
    )
    run.writes["online_payment"] = [
        {"id": pay, "invoice_id": inv, "transaction_id": txn, "online_id": pk}
        for pk, pay, inv, txn, _, _ in rows
        if pay is not None
    ]
    run.writes["online_credit"] = [
        {"id": pk, "transaction_id": credit_txn, "customer_id": customer}
        for pk, _, _, _, credit_txn, customer in rows
        if credit_txn is not None
    ]
    run.writes["online_credit_only"] = [
        {"id": pk, "online_id": pk} for pk, pay, *_ in rows if pay is None
    ]


def verify(
    conn, state: dict, recorded: dict, smtp: list[dict], wait: int, jobs: dict[str, str]
) -> Checks:
    run = Run(conn, state, recorded["writes"], recorded.get("statuses", {}), smtp, wait, jobs)
    _derived_writes(run)
    c = Checks()
    for fn in CHECKS:
        fn(run, c)
    return c


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state", required=True)
    parser.add_argument("--writes", required=True)
    parser.add_argument("--smtp", required=True, help="messages the SMTP server received (JSON)")
    parser.add_argument("--wait", type=int, default=60)
    parser.add_argument("--jobs", help="when each server-side job started (JSON)")
    parser.add_argument("--out")
    args = parser.parse_args()
    state = json.loads(Path(args.state).read_text())
    recorded = json.loads(Path(args.writes).read_text())
    smtp = json.loads(Path(args.smtp).read_text())
    jobs_file = Path(args.jobs) if args.jobs else None
    jobs = json.loads(jobs_file.read_text()) if jobs_file and jobs_file.exists() else {}
    os.environ.update(django_env(state["db"]))

    import django
    import psycopg

    django.setup()
    with psycopg.connect(db_url(state["db"]), autocommit=True) as conn:
        checks = verify(conn, state, recorded, smtp, args.wait, jobs)
    summary = f"{len(checks.lines) - checks.failed} passed, {checks.failed} failed"
    print(summary)
    if args.out:
        Path(args.out).write_text("\n".join([*checks.lines, summary]) + "\n")
    sys.exit(1 if checks.failed else 0)


if __name__ == "__main__":
    main()
