"""The load test's clients: staff API integrations running the flows of scenarios.py (reads,
CSV exports, customers, invoices issued at once or drafted then issued, payments, credit notes,
invoices and quotes emailed), all at once. Run by bench/load/run.sh (50 users, 2 minutes).

Every write a client sees succeed is remembered (`record`), and the list is written to
$LOAD_WRITES_FILE when the test stops, so bench/load/verify.py can check that each one is in
the database exactly once, with its events, audit entries and emails.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import sys
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path

import gevent
from locust import FastHttpUser, between, events

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.load.scenarios import BASE_CURRENCY, FOREIGN, SCENARIOS, WRITES  # noqa: E402

API_KEY = os.environ["LOAD_API_KEY"]
ACCOUNT_ID = int(os.environ["LOAD_ACCOUNT_ID"])
WRITES_FILE = os.environ["LOAD_WRITES_FILE"]
FOREIGN_ACCOUNT_ID = int(os.environ["LOAD_FOREIGN_ACCOUNT_ID"])
STRIPE_SECRET = os.environ["LOAD_STRIPE_WEBHOOK_SECRET"]
CSRF_COOKIE = re.compile(r"csrftoken=([^;]+)")
CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

# Writes the clients saw succeed, by kind (this process runs every user: plain lists suffice).
RECORDED: dict[str, list[dict]] = defaultdict(list)
# Every status code answered, retries included: a 500 is never acceptable, a 503 (Redis outage:
# an Idempotency-Key POST refused, docs/operations.md) is retried like a real client would.
STATUSES: Counter = Counter()
# A refused POST is retried with the same Idempotency-Key, every second (shorter than the
# server's Retry-After, to see the recovery), for at most this many tries.
MAX_RETRIES = 60


@events.test_stop.add_listener
def _dump_writes(environment, **kwargs):
    with open(WRITES_FILE, "w") as out:
        json.dump({"writes": RECORDED, "statuses": dict(STATUSES)}, out)


class StaffIntegration(FastHttpUser):
    wait_time = between(0.05, 0.25)
    tasks = {s.run: s.weight for s in SCENARIOS}

    def on_start(self):
        self.headers = {"Authorization": f"Bearer {API_KEY}"}
        self.account_id = ACCOUNT_ID
        # The ledger account for each currency's payments and refunds.
        self.accounts = {BASE_CURRENCY: ACCOUNT_ID, FOREIGN: FOREIGN_ACCOUNT_ID}
        # Issued invoices this client raised: {id: {total, balance, credited, customer_id}}.
        self.invoices: dict[int, dict] = {}

    def record(self, kind: str, **fields) -> None:
        if kind not in WRITES:
            raise KeyError(f"{kind}: declare it in scenarios.WRITES (what it must leave behind)")
        RECORDED[kind].append(fields)

    def post(self, path: str, body: dict, name: str, expect: int = 201):
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
                if response.status_code != expect:
                    response.failure(f"{response.status_code}: {response.text[:200]}")
                    return None
                return response.json()["data"]
        return None

    def get(self, path: str, name: str, content_type: str = "application/json"):
        """GETs `path`; for a JSON answer returns its `data` (None on a failure)."""
        with self.client.get(path, headers=self.headers, name=name, catch_response=True) as r:
            STATUSES[r.status_code] += 1
            if r.status_code != 200:
                r.failure(f"{r.status_code}: {r.text[:200]}")
            elif not (r.headers.get("Content-Type") or "").startswith(content_type):
                r.failure(f"Content-Type {r.headers.get('Content-Type')}, not {content_type}")
            elif content_type == "application/json":
                return r.json()["data"]
        return None

    def page(self, path: str, name: str) -> tuple[str, str] | None:
        """A portal page as a browser gets it (no API key): its HTML and CSRF cookie."""
        with self.client.get(path, name=name, catch_response=True) as r:
            STATUSES[r.status_code] += 1
            if r.status_code != 200 or "text/html" not in (r.headers.get("Content-Type") or ""):
                r.failure(f"{r.status_code} {r.headers.get('Content-Type')}: {r.text[:200]}")
                return None
            cookie = CSRF_COOKIE.search(r.headers.get("Set-Cookie") or "")
            return r.text, cookie[1] if cookie else ""

    def form_post(self, page: str, action: str, fields: dict, name: str) -> bool:
        """Loads `page`, then posts its form to `action` with the page's CSRF token and cookie
        (the cookie sent by hand: it is `Secure`, and this test speaks plain HTTP)."""
        loaded = self.page(page, "portal page")
        token = CSRF_TOKEN.search(loaded[0]) if loaded else None
        if not token:
            return False
        with self.client.post(
            action,
            data={**fields, "csrfmiddlewaretoken": token[1]},
            headers={"Cookie": f"csrftoken={loaded[1]}"},
            name=name,
            allow_redirects=False,
            catch_response=True,
        ) as r:
            STATUSES[r.status_code] += 1
            if r.status_code != 303:
                r.failure(f"{r.status_code}: {r.text[:200]}")
                return False
            return True

    def stripe_deliver(self, event: dict, deliveries) -> bool:
        """Delivers a Stripe event signed as Stripe signs it: once, twice in a row, or
        ("together") twice at once. True when every delivery was answered 200."""
        payload = json.dumps(event).encode()

        def deliver() -> bool:
            timestamp = int(time.time())
            digest = hmac.new(
                STRIPE_SECRET.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256
            ).hexdigest()
            with self.client.post(
                "/portal/stripe/webhook",
                data=payload,
                headers={
                    "Content-Type": "application/json",
                    "Stripe-Signature": f"t={timestamp},v1={digest}",
                },
                name="stripe webhook",
                catch_response=True,
            ) as r:
                STATUSES[r.status_code] += 1
                if r.status_code != 200:
                    r.failure(f"{r.status_code}: {r.text[:200]}")
                    return False
                return True

        if deliveries == "together":
            both = [gevent.spawn(deliver) for _ in range(2)]
            gevent.joinall(both)
            return all(g.value for g in both)
        return all([deliver() for _ in range(deliveries)])
