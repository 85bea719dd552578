"""Contract section 4: per-key rate limits with headers on every authenticated response."""

import time

import pytest
from rest_framework.test import APIClient

from tests.factories import make_api_key

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
