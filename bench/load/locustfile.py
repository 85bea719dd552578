"""The load test's clients: staff API integrations running the flows of scenarios.py (reads,
CSV exports, customers, invoices issued at once or drafted then issued, payments, credit notes,
invoices and quotes emailed), all at once. Run by bench/load/run.sh (50 users, 2 minutes).

Every write a client sees succeed is remembered (`record`), and the list is written to
$LOAD_WRITES_FILE when the test stops, so bench/load/verify.py can check that each one is in
the database exactly once, with its events, audit entries and emails.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path

from locust import FastHttpUser, between, events

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.load.scenarios import SCENARIOS, WRITES  # noqa: E402

API_KEY = os.environ["LOAD_API_KEY"]
ACCOUNT_ID = int(os.environ["LOAD_ACCOUNT_ID"])
WRITES_FILE = os.environ["LOAD_WRITES_FILE"]

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
        with self.client.get(path, headers=self.headers, name=name, catch_response=True) as r:
            STATUSES[r.status_code] += 1
            if r.status_code != 200:
                r.failure(f"{r.status_code}: {r.text[:200]}")
            elif not (r.headers.get("Content-Type") or "").startswith(content_type):
                r.failure(f"Content-Type {r.headers.get('Content-Type')}, not {content_type}")
