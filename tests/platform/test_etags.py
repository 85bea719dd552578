"""Contract section 4: GET responses carry an ETag; If-None-Match with it answers 304."""

import pytest

from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_detail_carries_a_strong_etag_and_private_cache_control(api):
    customer = CustomerFactory()

    response = api.get(f"/api/v2/customers/{customer.pk}")

    assert response.status_code == 200
    assert response["ETag"].startswith('"') and response["ETag"].endswith('"')
    assert len(response["ETag"]) == 34
    assert response["Cache-Control"] == "private, no-cache"


def test_matching_if_none_match_on_detail_is_304_without_body(api):
    customer = CustomerFactory()
    etag = api.get(f"/api/v2/customers/{customer.pk}")["ETag"]

    response = api.get(f"/api/v2/customers/{customer.pk}", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert "Content-Type" not in response


def test_304_still_carries_rate_limit_and_request_id_headers(api):
    etag = api.get("/api/v2/customers")["ETag"]

    response = api.get("/api/v2/customers", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response["X-RateLimit-Limit"]
    assert response["X-RateLimit-Remaining"]
    assert response["X-RateLimit-Reset"]
    assert response["X-Request-ID"]


def test_list_etag_changes_when_the_data_changes(api):
    CustomerFactory()
    etag = api.get("/api/v2/customers")["ETag"]
    CustomerFactory()

    response = api.get("/api/v2/customers", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert response["ETag"] != etag
    assert response.json()["meta"]["total_records"] == 2


def test_detail_etag_changes_after_an_update(api):
    customer = CustomerFactory(account="Before")
    etag = api.get(f"/api/v2/customers/{customer.pk}")["ETag"]
    api.patch(f"/api/v2/customers/{customer.pk}", {"account": "After"})

    response = api.get(f"/api/v2/customers/{customer.pk}", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert response.json()["data"]["account"] == "After"


def test_weak_form_and_lists_of_etags_match(api):
    etag = api.get("/api/v2/customers")["ETag"]

    weak = api.get("/api/v2/customers", HTTP_IF_NONE_MATCH=f"W/{etag}")
    listed = api.get("/api/v2/customers", HTTP_IF_NONE_MATCH=f'"other", {etag}')
    star = api.get("/api/v2/customers", HTTP_IF_NONE_MATCH="*")

    assert weak.status_code == listed.status_code == star.status_code == 304


def test_same_data_gives_the_same_etag(api):
    CustomerFactory()

    assert api.get("/api/v2/customers")["ETag"] == api.get("/api/v2/customers")["ETag"]


def test_errors_and_writes_carry_no_etag(api):
    missing = api.get("/api/v2/customers/999999")
    created = api.post("/api/v2/customers", {"account": "A", "email": "a@example.com"})

    assert missing.status_code == 404
    assert created.status_code == 201
    assert "ETag" not in missing
    assert "ETag" not in created
