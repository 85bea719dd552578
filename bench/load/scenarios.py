"""What the load test does, flow by flow: one function per flow, registered here, and nothing
else to edit to add one (then its checks in verify.py).

- `@scenario(weight)`: a client flow, run by each locust user (locustfile.py) in proportion to
  its weight. It receives the user (`client`), whose helpers do the HTTP and remember what the
  server said it wrote: `client.get(path, name)`, `client.post(path, body, name, expect=201)`
  (with an `Idempotency-Key`, retried on the documented 503), `client.record(kind, **fields)`.
- `WRITES[kind]`: what each kind of write must leave behind, one entry per write: the webhook
  events and audit entries it announces (`Effect(name, field)`: the record's `field` is the
  id the event's `data.id` or the audit entry's `resource_id` carries), and the table its
  rows go to (`table`, for "every reported write is stored and nothing else"). verify.py
  checks each, exactly once per write.
- `@job(at=0.5, copies=2)`: a server-side job (a management command, as beat would run it)
  started `at` that fraction of the run, `copies` times at once, to prove it does nothing twice.

This module imports neither locust nor Django, so verify.py reads WRITES from it.
"""

from __future__ import annotations

import functools
import os
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

CENTS = Decimal("0.01")
BASE_CURRENCY, FOREIGN = "USD", "EUR"  # prepare.py's accounts and exchange rate
SEARCH_TERMS = ["acme", "globex", "north", "example.com", "555-01", "zzz-no-match"]


@dataclass(frozen=True)
class Scenario:
    name: str
    weight: int
    run: Callable


@dataclass(frozen=True)
class Effect:
    name: str  # event type or audit action
    field: str = "id"  # the write record's field holding the id it is about


@dataclass(frozen=True)
class Write:
    table: str | None  # rows created, one per write (None: the write creates no row)
    events: tuple[Effect, ...] = ()
    audits: tuple[Effect, ...] = ()


@dataclass(frozen=True)
class Job:
    name: str
    at: float
    copies: int
    command: tuple[str, ...]
    extra: dict = field(default_factory=dict)


SCENARIOS: list[Scenario] = []
JOBS: list[Job] = []

# Every kind of write a scenario records, and what it must leave behind (verify.py).
WRITES: dict[str, Write] = {
    "customer": Write(
        "customers_customer",
        events=(Effect("customer.created"),),
        audits=(Effect("customer.created"),),
    ),
    # POST /invoices without a status: created and issued at once.
    "invoice": Write(
        "billing_invoice",
        events=(Effect("invoice.created"), Effect("invoice.issued")),
        audits=(Effect("invoice.created"),),
    ),
    "draft": Write(
        "billing_invoice",
        events=(Effect("invoice.created"),),
        audits=(Effect("invoice.created"),),
    ),
    "draft_issue": Write(
        None,
        events=(Effect("invoice.issued"),),
        audits=(Effect("invoice.issued"),),
    ),
    "payment": Write(
        "billing_payment",
        events=(
            Effect("payment.received"),
            Effect("invoice.updated", "invoice_id"),
            Effect("transaction.created", "transaction_id"),
        ),
        audits=(Effect("payment.received"), Effect("invoice.updated", "invoice_id")),
    ),
    "credit_note": Write(
        "billing_creditnote",
        events=(Effect("credit_note.created"), Effect("invoice.updated", "invoice_id")),
        audits=(Effect("credit_note.created"), Effect("invoice.updated", "invoice_id")),
    ),
    # A credit note whose excess went back to the customer's credit balance.
    "credit_settled": Write(
        None,
        events=(Effect("customer.updated", "customer_id"),),
        audits=(Effect("customer.updated", "customer_id"),),
    ),
    # A credit note whose excess was refunded: its Expense transaction.
    "refund": Write(
        None,
        events=(Effect("transaction.created", "transaction_id"),),
        audits=(Effect("transaction.created", "transaction_id"),),
    ),
    "invoice_send": Write(
        None,
        events=(Effect("invoice.sent", "invoice_id"),),
        audits=(Effect("invoice.sent", "invoice_id"),),
    ),
    "quote": Write(
        "billing_quote",
        events=(Effect("quote.created"),),
        audits=(Effect("quote.created"),),
    ),
    # Sending a Draft quote moves it to Sent (quote.updated), then sends it.
    # Sent from the portal: the customer's answer, acting as the system user "portal".
    "quote_accept": Write(
        None,
        events=(Effect("quote.accepted", "quote_id"),),
        audits=(Effect("quote.accepted", "quote_id"),),
    ),
    "credit_note_send": Write(
        None,
        events=(Effect("credit_note.sent", "credit_note_id"),),
        audits=(Effect("credit_note.sent", "credit_note_id"),),
    ),
    "recurring": Write(
        "billing_recurringinvoice",
        events=(Effect("recurring_invoice.created"),),
        audits=(Effect("recurring_invoice.created"),),
    ),
    # What the generator job issued (verify.py reads these from the database: no client is
    # told): each invoice, and each schedule's progress, once per run that issued for it.
    "recurring_generated": Write(
        "billing_invoice",
        events=(Effect("invoice.created"), Effect("invoice.issued")),
        audits=(Effect("invoice.created"),),
    ),
    "recurring_progress": Write(None, audits=(Effect("recurring_invoice.invoiced"),)),
    # A Stripe checkout.session.completed the clients delivered (sometimes twice, sometimes
    # twice at once): verify.py checks one OnlinePayment per payment intent, then derives
    # from it the two kinds below, whose effects are checked like any write's.
    "stripe_payment": Write(None),
    "online_payment": Write(
        "billing_payment",
        events=(
            Effect("payment.received"),
            Effect("invoice.updated", "invoice_id"),
            Effect("transaction.created", "transaction_id"),
        ),
        audits=(
            Effect("payment.received"),
            Effect("invoice.updated", "invoice_id"),
            Effect("online_payment.recorded", "online_id"),
        ),
    ),
    # Paid above the balance: the rest kept as credit, with its Income transaction.
    "online_credit": Write(
        None,
        events=(
            Effect("transaction.created", "transaction_id"),
            Effect("customer.updated", "customer_id"),
        ),
        audits=(Effect("customer.updated", "customer_id"),),
    ),
    # Paid online when nothing was owed any more (all of it became credit): its audit entry.
    "online_credit_only": Write(None, audits=(Effect("online_payment.recorded", "online_id"),)),
    "quote_send": Write(
        None,
        events=(Effect("quote.updated", "quote_id"), Effect("quote.sent", "quote_id")),
        audits=(Effect("quote.updated", "quote_id"), Effect("quote.sent", "quote_id")),
    ),
}


def scenario(weight: int, name: str | None = None):
    def register(fn: Callable) -> Callable:
        SCENARIOS.append(Scenario(name or fn.__name__.replace("_", " "), weight, fn))
        return fn

    return register


def job(*, at: float, copies: int = 1, command: tuple[str, ...], **extra):
    JOBS.append(Job(command[0], at, copies, command, extra))


@functools.cache
def _customer_ids() -> list[int]:
    return [int(x) for x in os.environ["LOAD_CUSTOMER_IDS"].split(",")]


def _items() -> list[dict]:
    return [
        {
            "description": "Consulting",
            "qty": random.randint(1, 8),
            "amount": f"{random.uniform(20, 400):.2f}",
        },
        {"description": "Hosting", "qty": 1, "amount": "49.99", "tax_rate": 10},
    ]


def _today() -> date:
    return date.today()  # noqa: DTZ011 - the server's local date is what it defaults to


def _remember_invoice(client, data: dict) -> None:
    client.invoices[data["id"]] = {
        "total": Decimal(str(data["amount"])),
        "balance": Decimal(str(data["balance_due"])),
        "credited": Decimal(0),
        "customer_id": data["customer_id"],
        "currency": data["currency"],
        "portal": _portal_path(data),
    }


def _portal_path(data: dict) -> str | None:
    """The path of the document's `portal_url` (the site part is SITE_URL, not this server)."""
    url = data.get("portal_url")
    return "/portal/" + url.rsplit("/portal/", 1)[1] if url else None


# --- reads ------------------------------------------------------------------------------------


@scenario(25)
def customers_list(client):
    client.get(f"/api/v2/customers?page={random.randint(1, 40)}&limit=20", "customers list")


@scenario(10)
def customer_detail(client):
    client.get(f"/api/v2/customers/{random.choice(_customer_ids())}", "customer detail")


@scenario(15)
def customers_search(client):
    client.get(f"/api/v2/customers?search={random.choice(SEARCH_TERMS)}", "customers search")


@scenario(12)
def invoices_list(client):
    client.get(f"/api/v2/invoices?page={random.randint(1, 5)}&limit=20", "invoices list")


@scenario(4)
def financial_report(client):
    client.get("/api/v2/reports/financial", "financial report")


@scenario(2)
def csv_export(client):
    """A spreadsheet export: a whole filtered list as CSV (streamed)."""
    path, name = random.choice(
        [
            ("/api/v2/invoices?format=csv&status=Unpaid", "invoices csv"),
            (f"/api/v2/customers?format=csv&search={random.choice(SEARCH_TERMS)}", "customers csv"),
        ]
    )
    client.get(path, name, content_type="text/csv")


# --- writes -----------------------------------------------------------------------------------


@scenario(4)
def customer_create(client):
    n = uuid.uuid4().hex[:12]
    data = client.post(
        "/api/v2/customers",
        {"account": f"Load Customer {n}", "email": f"load-{n}@example.com", "phone": "555-0199"},
        "customer create",
    )
    if data:
        client.record("customer", id=data["id"])


@scenario(8)
def invoice_create(client):
    today = _today()
    data = client.post(
        "/api/v2/invoices",
        {
            "customer_id": random.choice(_customer_ids()),
            "date": today.isoformat(),
            "due_date": (today + timedelta(days=30)).isoformat(),
            "items": _items(),
        },
        "invoice create",
    )
    if data:
        client.record("invoice", id=data["id"], number=data["invoice_number"])
        _remember_invoice(client, data)


@scenario(2)
def overdue_invoice_create(client):
    """An invoice raised 40 days ago, due 10 days ago: what the reminders job sends about."""
    issued = _today() - timedelta(days=40)
    data = client.post(
        "/api/v2/invoices",
        {
            "customer_id": random.choice(_customer_ids()),
            "date": issued.isoformat(),
            "due_date": (issued + timedelta(days=30)).isoformat(),
            "items": _items(),
        },
        "invoice create (overdue)",
    )
    if data:
        client.record("invoice", id=data["id"], number=data["invoice_number"])
        _remember_invoice(client, data)


@scenario(4)
def draft_then_issue(client):
    """A draft, edited, then issued: the number is taken at the issue, not before."""
    today = _today()
    draft = client.post(
        "/api/v2/invoices",
        {
            "customer_id": random.choice(_customer_ids()),
            "date": today.isoformat(),
            "due_date": (today + timedelta(days=14)).isoformat(),
            "items": _items(),
            "status": "Draft",
        },
        "draft create",
    )
    if not draft:
        return
    client.record("draft", id=draft["id"])
    issued = client.post(f"/api/v2/invoices/{draft['id']}/issue", {}, "draft issue", expect=200)
    if issued:
        client.record("draft_issue", id=issued["id"], number=issued["invoice_number"])
        _remember_invoice(client, issued)


@scenario(7)
def payment_record(client):
    open_ids = [pk for pk, inv in client.invoices.items() if inv["balance"] > 0]
    if not open_ids:
        return
    invoice_id = random.choice(open_ids)
    balance = client.invoices[invoice_id]["balance"]
    amount = balance  # half the time all of it, otherwise a part
    if random.random() < 0.5 and balance > 1:
        amount = (balance * Decimal(random.uniform(0.2, 0.8))).quantize(CENTS, ROUND_DOWN)
    data = client.post(
        f"/api/v2/invoices/{invoice_id}/payments",
        {
            "amount": str(amount),
            "account_id": client.accounts[client.invoices[invoice_id]["currency"]],
            "method": "bank_transfer",
        },
        "payment record",
    )
    if data:
        client.record(
            "payment",
            id=data["id"],
            invoice_id=invoice_id,
            amount=str(amount),
            transaction_id=data["transaction_id"],
            account_id=client.accounts[client.invoices[invoice_id]["currency"]],
        )
        client.invoices[invoice_id]["balance"] = Decimal(str(data["invoice"]["balance_due"]))


@scenario(3)
def credit_note_create(client):
    """Credits part of one of this client's invoices; what was already paid is refunded from
    the bank account or kept as the customer's credit."""
    creditable = [pk for pk, inv in client.invoices.items() if inv["total"] - inv["credited"] > 1]
    if not creditable:
        return
    invoice_id = random.choice(creditable)
    invoice = client.invoices[invoice_id]
    left = invoice["total"] - invoice["credited"]
    amount = (left * Decimal(random.uniform(0.1, 0.6))).quantize(CENTS, ROUND_DOWN)
    # A customer's credit balance is in their own currency (the base here): credit in another
    # currency is refused with a 400 (contract section 13), so those are refunded.
    settlement = random.choice(["refund", "credit"])
    if invoice["currency"] != BASE_CURRENCY:
        settlement = "refund"
    body = {
        "invoice_id": invoice_id,
        "reason": "Load test: partial credit",
        "items": [{"description": "Credit", "qty": 1, "amount": str(amount)}],
        "settlement": settlement,
    }
    if settlement == "refund":
        body["account_id"] = client.accounts[invoice["currency"]]
    data = client.post("/api/v2/credit-notes", body, "credit note create")
    if not data:
        return
    client.record(
        "credit_note",
        id=data["id"],
        invoice_id=invoice_id,
        number=data["credit_note_number"],
        amount=str(data["amount"]),
    )
    settled = Decimal(str(data["settled_amount"]))
    if data["settlement"] == "credit":
        client.record(
            "credit_settled", id=data["id"], customer_id=invoice["customer_id"], amount=str(settled)
        )
    elif data["settlement"] == "refund":
        client.record(
            "refund",
            id=data["id"],
            transaction_id=data["transaction_id"],
            amount=str(settled),
            account_id=body["account_id"],
        )
    invoice["credited"] += amount
    invoice["balance"] = max(invoice["balance"] - amount, Decimal(0))
    if random.random() < 0.5:
        sent = client.post(
            f"/api/v2/credit-notes/{data['id']}/send", {}, "credit note send", expect=202
        )
        if sent:
            client.record(
                "credit_note_send", id=sent["id"], credit_note_id=data["id"], email_id=sent["id"]
            )


@scenario(3)
def invoice_send(client):
    """Emails one of this client's invoices (the loopback SMTP server receives it)."""
    if not client.invoices:
        return
    invoice_id = random.choice(list(client.invoices))
    data = client.post(f"/api/v2/invoices/{invoice_id}/send", {}, "invoice send", expect=202)
    if data:
        client.record("invoice_send", id=data["id"], invoice_id=invoice_id, email_id=data["id"])


@scenario(2)
def quote_create_and_send(client):
    today = _today()
    quote = client.post(
        "/api/v2/quotes",
        {
            "customer_id": random.choice(_customer_ids()),
            "date": today.isoformat(),
            "valid_until": (today + timedelta(days=30)).isoformat(),
            "items": _items(),
        },
        "quote create",
    )
    if not quote:
        return
    client.record("quote", id=quote["id"])
    sent = client.post(f"/api/v2/quotes/{quote['id']}/send", {}, "quote send", expect=202)
    if sent:
        client.record("quote_send", id=sent["id"], quote_id=quote["id"], email_id=sent["id"])


@scenario(3)
def foreign_invoice_create(client):
    """An invoice in the foreign currency prepare.py gave a rate for (it takes that rate);
    its payments and refunds go to the account in that currency."""
    today = _today()
    data = client.post(
        "/api/v2/invoices",
        {
            "customer_id": random.choice(_customer_ids()),
            "date": today.isoformat(),
            "due_date": (today + timedelta(days=30)).isoformat(),
            "currency": FOREIGN,
            "items": _items(),
        },
        "invoice create (foreign currency)",
    )
    if data:
        client.record("invoice", id=data["id"], number=data["invoice_number"])
        _remember_invoice(client, data)


@scenario(2)
def recurring_create(client):
    """A monthly or weekly schedule started in the past: the generator job issues each
    period since, once (contract section 11)."""
    frequency = random.choice(["monthly", "weekly"])
    back = random.randint(35, 95) if frequency == "monthly" else random.randint(8, 30)
    data = client.post(
        "/api/v2/recurring-invoices",
        {
            "customer_id": random.choice(_customer_ids()),
            "items": _items(),
            "frequency": frequency,
            "start_date": (_today() - timedelta(days=back)).isoformat(),
        },
        "recurring create",
    )
    if data:
        client.record("recurring", id=data["id"])


@scenario(6)
def portal_view(client):
    """The customer opens an issued document from its email (no login)."""
    pages = [inv["portal"] for inv in client.invoices.values() if inv["portal"]]
    if pages:
        client.page(random.choice(pages), "portal page")


@scenario(2)
def quote_accepted_in_portal(client):
    """A quote emailed, then accepted on its portal page: the page's form, with its CSRF
    cookie and token, as a browser posts it."""
    today = _today()
    quote = client.post(
        "/api/v2/quotes",
        {
            "customer_id": random.choice(_customer_ids()),
            "date": today.isoformat(),
            "valid_until": (today + timedelta(days=30)).isoformat(),
            "items": _items(),
        },
        "quote create",
    )
    if not quote:
        return
    client.record("quote", id=quote["id"])
    sent = client.post(f"/api/v2/quotes/{quote['id']}/send", {}, "quote send", expect=202)
    if not sent:
        return
    client.record("quote_send", id=sent["id"], quote_id=quote["id"], email_id=sent["id"])
    page = _portal_path(client.get(f"/api/v2/quotes/{quote['id']}", "quote detail") or {})
    if page and client.form_post(
        page, page + "/accept", {"name": "Load Test Signer"}, "portal quote accept"
    ):
        client.record("quote_accept", quote_id=quote["id"])


@scenario(4)
def stripe_checkout_completed(client):
    """Stripe tells the portal a Checkout Session was paid: the balance due, sometimes more
    (the rest becomes credit). The same event is sometimes delivered again, sometimes twice
    at once, as Stripe may; it must be recorded once."""
    payable = [
        pk
        for pk, inv in client.invoices.items()
        if inv["balance"] > 0 and inv["currency"] == BASE_CURRENCY
    ]
    if not payable:
        return
    invoice_id = random.choice(payable)
    invoice = client.invoices[invoice_id]
    amount = invoice["balance"]
    if random.random() < 0.3:
        amount += Decimal(random.randint(1, 5000)) / 100
    intent = f"pi_load_{uuid.uuid4().hex[:16]}"
    event = {
        "id": f"evt_load_{uuid.uuid4().hex[:16]}",
        "object": "event",
        "type": "checkout.session.completed",
        "data": {
            "object": {
                "id": f"cs_load_{uuid.uuid4().hex[:16]}",
                "object": "checkout.session",
                "client_reference_id": str(invoice_id),
                "payment_intent": intent,
                "amount_total": int(amount * 100),
                "currency": BASE_CURRENCY.lower(),
                "payment_status": "paid",
            }
        },
    }
    deliveries = random.choice([1, 1, 2, "together"])
    if not client.stripe_deliver(event, deliveries):
        return
    applied = min(amount, invoice["balance"])
    client.record(
        "stripe_payment",
        intent=intent,
        invoice_id=invoice_id,
        customer_id=invoice["customer_id"],
        amount=str(amount),
        applied=str(applied),
        credited=str(amount - applied),
        deliveries=str(deliveries),
    )
    invoice["balance"] -= applied


# --- server-side jobs -------------------------------------------------------------------------

# Beat's daily reminders, twice at once in the middle of the run: each (invoice, step) must be
# queued and sent once.
job(at=0.5, copies=2, command=("send_reminders",))

# Beat's daily recurring generation, twice at once: each (schedule, period) issued once.
job(at=0.5, copies=2, command=("generate_recurring_invoices",))
