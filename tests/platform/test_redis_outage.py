"""Redis stopped for real (issue 13, item 2): a private `redis-server` started on its own port
is the cache and the broker, then killed; every request still gets an answer that is not a
500, and the degraded mode is the one docs/operations.md describes."""

import shutil
import socket
import subprocess
import time
from datetime import date

import pytest
from rest_framework.test import APIClient

from core import cache as core_cache
from customers.models import Customer
from ledger.models import Transaction
from tests.factories import CustomerFactory, make_api_key
from tests.ledger.factories import AccountFactory, CategoryFactory
from users.services import api_key_revoke
from webhooks.models import Event

pytestmark = [
    pytest.mark.skipif(
        shutil.which("redis-server") is None, reason="needs the redis-server binary on PATH"
    ),
    pytest.mark.django_db(transaction=True, databases=["default", "sandbox"]),
]


REDIS_SERVER = shutil.which("redis-server") or "redis-server"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(  # noqa: S603 - a fixed binary on loopback
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


@pytest.fixture
def redis_server(settings, monkeypatch):
    """A private Redis as the cache and the Celery broker, publishing for real (not eager)."""
    from config.celery import app

    # Saved first: Celery reads its configuration through Django's settings, changed below.
    saved = {k: app.conf[k] for k in ("broker_url", "task_always_eager")}
    server = PrivateRedis()
    server.start()
    settings.CACHES = {"default": {"BACKEND": "core.cache.RedisCache", "LOCATION": server.url}}
    settings.API_KEY_CACHE_SECONDS = 60
    settings.CELERY_BROKER_URL = server.url
    app.conf.broker_url = server.url
    app.conf.task_always_eager = False
    app._pool, app.amqp._producer_pool = None, None
    monkeypatch.setattr(core_cache, "_outage", core_cache._Outage())
    try:
        yield server
    finally:
        server.kill()
        app.conf.update(saved)
        app._pool, app.amqp._producer_pool = None, None


def _client(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_every_request_is_answered_without_a_500_while_redis_is_down(redis_server, settings):
    # Given a key already served once (so its lookup is cached in Redis) and some data.
    key, raw = make_api_key()
    api = _client(raw)
    customer = CustomerFactory(account="Before Outage")
    account = AccountFactory()
    category = CategoryFactory(type="Income")
    assert api.get("/api/v2/customers").status_code == 200
    events_before = Event.objects.count()

    # When Redis dies.
    redis_server.kill()
    responses = {
        "list": api.get("/api/v2/customers"),
        "detail": api.get(f"/api/v2/customers/{customer.pk}"),
        "create": api.post(
            "/api/v2/customers", {"account": "During Outage", "email": "o@example.com"}
        ),
        "update": api.patch(f"/api/v2/customers/{customer.pk}", {"account": "Renamed"}),
        "transaction": api.post(
            "/api/v2/transactions",
            {
                "type": "Income",
                "account_id": account.pk,
                "category_id": category.pk,
                "amount": "12.50",
                "date": date(2024, 3, 1).isoformat(),
            },
        ),
        "report": api.get("/api/v2/reports/financial"),
        "idempotent": api.post(
            "/api/v2/customers",
            {"account": "Keyed", "email": "k@example.com"},
            HTTP_IDEMPOTENCY_KEY="retry-me-1",
        ),
        "no key": APIClient().get("/api/v2/customers"),
        "unknown key": _client("ll_live_not_a_key").get("/api/v2/customers"),
    }
    api_key_revoke(api_key=key)  # the tombstone cannot be written: must not fail the revoke
    responses["revoked key"] = api.get("/api/v2/customers")
    health = APIClient().get("/health")

    # Then nothing is a 500, reads and writes are served, and the outbox holds the events.
    assert {name: r.status_code for name, r in responses.items()} == {
        "list": 200,
        "detail": 200,
        "create": 201,
        "update": 200,
        "transaction": 201,
        "report": 200,
        "idempotent": 503,
        "no key": 401,
        "unknown key": 401,
        "revoked key": 401,
    }
    assert Customer.objects.filter(account__in=["During Outage", "Renamed"]).count() == 2
    assert not Customer.objects.filter(account="Keyed").exists()
    assert Transaction.objects.filter(amount="12.50").count() == 1
    assert Event.objects.count() - events_before == 3  # created, updated, transaction
    # The rate limiter failed open but still sends the contract's headers.
    assert responses["list"]["X-RateLimit-Limit"] == "1000"
    assert responses["list"]["X-RateLimit-Remaining"] == "1000"
    assert responses["idempotent"]["Retry-After"] == "30"
    assert responses["idempotent"].json()["success"] is False
    # /health names what is degraded and keeps the node in rotation.
    assert health.status_code == 200
    assert health.json()["status"] == "degraded"
    assert health.json()["degraded"] == ["cache", "broker"]


def test_past_the_fail_open_bound_the_api_answers_503_with_retry_after(redis_server, settings):
    _, raw = make_api_key()
    api = _client(raw)
    settings.RATELIMIT_FAIL_OPEN_SECONDS = 60
    redis_server.kill()

    first = api.get("/api/v2/customers")  # the outage starts here: within the bound
    core_cache._outage.since -= 61  # as if it had started a minute ago
    later = api.get("/api/v2/customers")

    assert first.status_code == 200
    assert later.status_code == 503
    assert later["Retry-After"] == "30"
    assert later.json() == {
        "success": False,
        "message": "Service temporarily unavailable: rate limiting is down. Retry later.",
    }


def test_counting_resumes_when_redis_is_back(redis_server):
    _, raw = make_api_key()
    api = _client(raw)
    redis_server.kill()
    assert api.get("/api/v2/customers")["X-RateLimit-Remaining"] == "1000"

    core_cache._outage.retry_at = 0.0  # the next call probes Redis again
    redis_server.start()  # same port, empty
    api.get("/api/v2/customers")  # a first request may meet a dead pooled connection
    response = api.get("/api/v2/customers")

    assert response.status_code == 200
    assert int(response["X-RateLimit-Remaining"]) < 1000
    assert core_cache.outage_seconds() is None
