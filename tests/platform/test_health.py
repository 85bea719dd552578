"""`GET /health`: databases, cache and broker; 200 when all answer, 200 "degraded" when only
Redis (cache, broker) does not, 503 when a database does not."""

import time

import pytest

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connection refused


def test_healthy_installation_is_200_with_every_check(client):
    response = client.get("/health")

    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert set(body["checks"]) == {
        "database.default",
        "database.sandbox",
        "cache",
        "broker",
        "recurring_invoices",
    }
    assert all(check["status"] == "ok" for check in body["checks"].values())
    assert response["Cache-Control"].startswith("max-age=0")


def test_needs_no_api_key_and_has_a_request_id(client):
    response = client.get("/health", HTTP_X_REQUEST_ID="probe-1")

    assert response.status_code == 200
    assert response["X-Request-ID"] == "probe-1"


def test_dead_cache_is_200_degraded(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": DEAD_REDIS,
        }
    }

    response = client.get("/health")

    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "degraded"
    assert body["degraded"] == ["cache"]
    assert body["checks"]["cache"] == {"status": "down", "error": "ConnectionError"}
    assert body["checks"]["database.default"]["status"] == "ok"


def test_dead_broker_is_200_degraded_and_answers_quickly(client, settings):
    settings.CELERY_BROKER_URL = DEAD_REDIS
    started = time.monotonic()

    response = client.get("/health")

    assert response.status_code == 200
    assert response.json()["degraded"] == ["broker"]
    assert response.json()["checks"]["broker"]["status"] == "down"
    assert response.json()["checks"]["cache"]["status"] == "ok"
    assert time.monotonic() - started < 10


def test_without_a_broker_tasks_run_in_process_and_that_is_healthy(client, settings):
    settings.CELERY_BROKER_URL = "memory://"

    response = client.get("/health")

    assert response.json()["checks"]["broker"]["detail"] == "in-process"


def test_broken_database_is_503(client, monkeypatch):
    from api import health

    def refuse(alias):
        if alias == "sandbox":
            raise ConnectionRefusedError("sandbox database is down")

    monkeypatch.setattr(health, "check_database", refuse)

    response = client.get("/health")

    assert response.status_code == 503
    assert response.json()["checks"]["database.sandbox"]["status"] == "down"
    assert response.json()["checks"]["database.default"]["status"] == "ok"


def test_is_not_redirected_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True

    assert client.get("/health").status_code == 200
    assert client.get("/admin/login/").status_code == 301
