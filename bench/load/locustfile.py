"""The load test's clients: staff API integrations reading, searching, creating customers and
invoices and recording payments, all at once. Run by bench/load/run.sh (50 users, 2 minutes).

Every write a client sees succeed (201) is remembered, and the list is written to
$LOAD_WRITES_FILE when the test stops, so bench/load/verify.py can check that each one is in
the database exactly once, with its outbox event.
"""

from __future__ import annotations

import json
import os
import random
import time
import uuid
from collections import Counter
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from locust import FastHttpUser, between, events, task

API_KEY = os.environ["LOAD_API_KEY"]
ACCOUNT_ID = int(os.environ["LOAD_ACCOUNT_ID"])
CUSTOMER_IDS = [int(x) for x in os.environ["LOAD_CUSTOMER_IDS"].split(",")]
WRITES_FILE = os.environ["LOAD_WRITES_FILE"]
SEARCH_TERMS = ["acme", "globex", "north", "example.com", "555-01", "zzz-no-match"]
CENTS = Decimal("0.01")

# Writes the clients saw succeed (this process runs every user, so plain lists suffice).
WRITES: dict[str, list] = {"customers": [], "invoices": [], "payments": []}
# Every status code answered, retries included: a 500 is never acceptable, a 503 (Redis outage:
# an Idempotency-Key POST refused, docs/operations.md) is retried like a real client would.
STATUSES: Counter = Counter()
# A refused POST is retried with the same Idempotency-Key, every second (shorter than the
# server's Retry-After, to see the recovery), for at most this many tries.
MAX_RETRIES = 60


@events.test_stop.add_listener
def _dump_writes(environment, **kwargs):
    with open(WRITES_FILE, "w") as out:
        json.dump({**WRITES, "statuses": dict(STATUSES)}, out)


class StaffIntegration(FastHttpUser):
    wait_time = between(0.05, 0.25)

    def on_start(self):
        self.headers = {"Authorization": f"Bearer {API_KEY}"}
        # Invoices this client raised and still owes money on: {id: balance_due}.
        self.open_invoices: dict[int, Decimal] = {}

    def _post(self, path: str, body: dict, name: str):
        headers = {**self.headers, "Idempotency-Key": str(uuid.uuid4())}
        for _ in range(MAX_RETRIES):
            with self.client.post(
                path, json=body, headers=headers, name=name, catch_response=True
            ) as response:
                STATUSES[response.status_code] += 1
                if response.status_code == 503 and response.headers.get("Retry-After"):
                    response.success()  # the documented degraded answer: retry it
                    time.sleep(1)
                    continue
                if response.status_code != 201:
                    response.failure(f"{response.status_code}: {response.text[:200]}")
                    return None
                return response.json()["data"]
        return None

    def _get(self, path: str, name: str):
        with self.client.get(path, headers=self.headers, name=name, catch_response=True) as r:
            STATUSES[r.status_code] += 1
            if r.status_code != 200:
                r.failure(f"{r.status_code}: {r.text[:200]}")

    @task(25)
    def list_customers(self):
        self._get(f"/api/v2/customers?page={random.randint(1, 40)}&limit=20", "customers list")

    @task(10)
    def get_customer(self):
        self._get(f"/api/v2/customers/{random.choice(CUSTOMER_IDS)}", "customer detail")

    @task(15)
    def search_customers(self):
        self._get(f"/api/v2/customers?search={random.choice(SEARCH_TERMS)}", "customers search")

    @task(12)
    def list_invoices(self):
        self._get(f"/api/v2/invoices?page={random.randint(1, 5)}&limit=20", "invoices list")

    @task(4)
    def financial_report(self):
        self._get("/api/v2/reports/financial", "financial report")

    @task(4)
    def create_customer(self):
        n = uuid.uuid4().hex[:12]
        data = self._post(
            "/api/v2/customers",
            {
                "account": f"Load Customer {n}",
                "email": f"load-{n}@example.com",
                "phone": "555-0199",
            },
            "customer create",
        )
        if data:
            WRITES["customers"].append(data["id"])

    @task(10)
    def create_invoice(self):
        today = date.today()  # noqa: DTZ011 - the server's local date is what it defaults to
        items = [
            {
                "description": "Consulting",
                "qty": random.randint(1, 8),
                "amount": f"{random.uniform(20, 400):.2f}",
            },
            {"description": "Hosting", "qty": 1, "amount": "49.99", "tax_rate": 10},
        ]
        data = self._post(
            "/api/v2/invoices",
            {
                "customer_id": random.choice(CUSTOMER_IDS),
                "date": today.isoformat(),
                "due_date": (today + timedelta(days=30)).isoformat(),
                "items": items,
            },
            "invoice create",
        )
        if data:
            WRITES["invoices"].append([data["id"], data["invoice_number"], str(data["amount"])])
            self.open_invoices[data["id"]] = Decimal(str(data["balance_due"]))

    @task(8)
    def record_payment(self):
        if not self.open_invoices:
            return
        invoice_id = random.choice(list(self.open_invoices))
        balance = self.open_invoices[invoice_id]
        # Half the time the whole balance, otherwise a part of it.
        amount = balance
        if random.random() < 0.5 and balance > 1:
            amount = (balance * Decimal(random.uniform(0.2, 0.8))).quantize(CENTS, ROUND_DOWN)
        data = self._post(
            f"/api/v2/invoices/{invoice_id}/payments",
            {"amount": str(amount), "account_id": ACCOUNT_ID, "method": "bank_transfer"},
            "payment record",
        )
        if data:
            WRITES["payments"].append([data["id"], invoice_id, str(amount)])
            remaining = balance - amount
            if remaining > 0:
                self.open_invoices[invoice_id] = remaining
            else:
                del self.open_invoices[invoice_id]
