"""Contract section 4: per-key rate limits with headers on every authenticated response."""

import time

import pytest
from django.core.cache import caches
from django_ratelimit.core import get_usage
from rest_framework.test import APIClient

from api import ratelimit
from tests.factories import make_api_key
from tests.markers import requires_redis

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_per_hour(settings):
    settings.API_RATE_LIMIT = "3/h"


def test_headers_on_every_authenticated_response(api):
    response = api.get("/api/v2/customers")

    assert response["X-RateLimit-Limit"] == "1000"
    assert response["X-RateLimit-Remaining"] == "999"
    assert int(response["X-RateLimit-Reset"]) > time.time()


def test_remaining_counts_down(api):
    api.get("/api/v2/customers")

    response = api.get("/api/v2/customers")

    assert response["X-RateLimit-Remaining"] == "998"


def test_headers_also_on_forbidden_responses(client_for):
    response = client_for("viewer").post("/api/v2/customers", {}, format="json")

    assert response.status_code == 403
    assert response["X-RateLimit-Limit"] == "1000"


def test_past_the_limit_is_429_with_retry_after(api, three_per_hour):
    for _ in range(3):
        assert api.get("/api/v2/customers").status_code == 200

    response = api.get("/api/v2/customers")

    assert response.status_code == 429
    assert response.json()["success"] is False
    assert response["X-RateLimit-Remaining"] == "0"
    assert 0 < int(response["Retry-After"]) <= 3600


def test_limit_is_per_key(api, three_per_hour):
    for _ in range(4):
        api.get("/api/v2/customers")
    _, other_raw = make_api_key()

    response = APIClient().get("/api/v2/customers", HTTP_X_API_KEY=other_raw)

    assert response.status_code == 200
    assert response["X-RateLimit-Remaining"] == "2"


def test_unauthenticated_requests_carry_no_rate_headers(anon):
    response = anon.get("/api/v2/customers")

    assert response.status_code == 401
    assert "X-RateLimit-Limit" not in response


@requires_redis
def test_the_one_trip_count_and_django_ratelimit_share_one_counter(rf, settings):
    # api.ratelimit counts in one Redis script what django-ratelimit counts in two calls; the
    # windows and keys must be the same, or a deploy would reset every client's window.
    settings.API_RATE_LIMIT = "5/h"
    key, _ = make_api_key()
    request = rf.get("/api/v2/customers")
    request.auth = key

    first = ratelimit._usage(request, group="api", key=ratelimit._key_of, rate="5/h")
    theirs = get_usage(request, group="api", key=ratelimit._key_of, rate="5/h", increment=True)
    third = ratelimit._usage(request, group="api", key=ratelimit._key_of, rate="5/h")

    assert (first["count"], theirs["count"], third["count"]) == (1, 2, 3)
    assert third["limit"] == 5 and third["should_limit"] is False
    assert 0 < third["time_left"] <= 3600
    assert abs(third["time_left"] - theirs["time_left"]) <= 1


@requires_redis
def test_a_new_window_expires(rf):
    key, _ = make_api_key()
    request = rf.get("/api/v2/customers")
    request.auth = key

    ratelimit._usage(request, group="api", key=ratelimit._key_of, rate="5/m")

    backend = caches["default"]
    names = backend.redis().keys(backend.make_key("rl:*"))
    ttls = [backend.redis().ttl(name) for name in names]
    assert ttls and all(0 < ttl <= 60 + 5 for ttl in ttls)


@requires_redis
def test_a_cached_key_is_counted_with_its_lookup(api, monkeypatch, settings):
    settings.API_KEY_CACHE_SECONDS = 60
    first = api.get("/api/v2/customers")  # looked up in the database, then cached
    monkeypatch.setattr(
        ratelimit, "_usage", lambda *args, **kwargs: pytest.fail("counted apart from the lookup")
    )

    second = api.get("/api/v2/customers")

    assert (first["X-RateLimit-Remaining"], second["X-RateLimit-Remaining"]) == ("999", "998")


@requires_redis
def test_an_unknown_key_leaves_no_counter(anon, settings):
    settings.API_KEY_CACHE_SECONDS = 60

    response = anon.get("/api/v2/customers", HTTP_AUTHORIZATION="Bearer ll_live_not-a-key")

    backend = caches["default"]
    assert response.status_code == 401
    assert backend.redis().keys(backend.make_key("rl:*")) == []
