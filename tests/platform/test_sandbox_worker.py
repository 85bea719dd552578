"""The sandbox through a real Celery worker (PostgreSQL + Redis): a task queued by a sandbox
request carries the alias and runs on the sandbox database, and the daily reset task runs in
a worker as beat would start it."""

import json
import time

import pytest

from config.celery import app
from customers.demo import SMALL_COUNT
from customers.models import Customer
from tests.celery_worker import celery_worker
from tests.markers import requires_postgres, requires_redis
from tests.platform.conftest import sandbox_client
from tests.webhooks.receiver import Receiver

pytestmark = [
    pytest.mark.worker,
    requires_postgres,
    requires_redis,
    pytest.mark.django_db(transaction=True, databases=["default", "sandbox"]),
]

WORKER_ENV = {"WEBHOOK_ALLOW_PRIVATE_TARGETS": "true", "WEBHOOK_TIMEOUT": "5"}


@pytest.fixture(autouse=True)
def _clean_broker(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    app.control.purge()
    yield
    app.control.purge()


def test_worker_delivers_sandbox_events_to_sandbox_endpoints_only(api):
    sandbox_api = sandbox_client()
    with Receiver() as live_receiver, Receiver() as sandbox_receiver:
        for client, receiver in ((api, live_receiver), (sandbox_api, sandbox_receiver)):
            response = client.post(
                "/api/v2/webhooks",
                {"url": receiver.url, "events": ["customer.created"]},
                format="json",
            )
            assert response.status_code == 201

        with celery_worker(extra_env=WORKER_ENV):
            sandbox_api.post(
                "/api/v2/customers",
                {"account": "Sandbox Co", "email": "sb@example.com"},
                format="json",
            )
            received = sandbox_receiver.wait_for(1)

    assert json.loads(received[0].body)["data"]["email"] == "sb@example.com"
    assert live_receiver.requests == []


def test_worker_runs_the_reset_task_on_the_sandbox_only():
    Customer.objects.using("default").create(account="Live", email="live@example.com")
    Customer.objects.using("sandbox").create(account="Scratch", email="scratch@example.com")

    with celery_worker():
        # As beat sends it: by name (results are not kept, so wait on the database).
        app.send_task("users.tasks.reset_sandbox")
        _wait_for_reset()

    assert Customer.objects.using("sandbox").count() == SMALL_COUNT
    assert list(Customer.objects.using("default").values_list("email", flat=True)) == [
        "live@example.com"
    ]


def _wait_for_reset(timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        emails = set(Customer.objects.using("sandbox").values_list("email", flat=True))
        if "scratch@example.com" not in emails and len(emails) == SMALL_COUNT:
            return
        time.sleep(0.5)
    raise AssertionError("the worker did not reset the sandbox in time")
