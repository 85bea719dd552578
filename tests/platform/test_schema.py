"""OpenAPI 3 at /api/v2/schema and Swagger UI at /api/v2/docs (served without a CDN)."""

import re

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        response = APIClient().get("/api/v2/schema")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def test_schema_is_openapi_3_without_a_key(schema):
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Ledgerline API"


def test_paths_are_the_contracts_without_trailing_slash(schema):
    assert "/api/v2/customers" in schema["paths"]
    assert "/api/v2/customers/{id}" in schema["paths"]
    assert not [p for p in schema["paths"] if p.endswith("/")]


def test_both_key_headers_are_security_schemes(schema):
    schemes = schema["components"]["securitySchemes"]

    assert schemes["BearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "`Authorization: Bearer <key>`",
    }
    assert schemes["ApiKeyAuth"]["in"] == "header"
    assert schemes["ApiKeyAuth"]["name"] == "X-API-Key"
    assert schema["paths"]["/api/v2/customers"]["get"]["security"] == [
        {"BearerAuth": []},
        {"ApiKeyAuth": []},
    ]


def test_detail_response_is_wrapped_in_the_envelope(schema):
    ok = schema["paths"]["/api/v2/customers/{id}"]["get"]["responses"]["200"]
    body = ok["content"]["application/json"]["schema"]

    assert body["required"] == ["success", "data"]
    assert body["properties"]["data"] == {"$ref": "#/components/schemas/Customer"}


def test_list_response_has_data_and_meta(schema):
    ok = schema["paths"]["/api/v2/customers"]["get"]["responses"]["200"]
    ref = ok["content"]["application/json"]["schema"]["$ref"]
    body = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]

    assert set(body["properties"]) == {"success", "data", "meta"}
    assert set(body["properties"]["meta"]["properties"]) == {
        "current_page",
        "total_pages",
        "total_records",
    }


def test_delete_is_documented_as_200_with_null_data(schema):
    responses = schema["paths"]["/api/v2/customers/{id}"]["delete"]["responses"]

    assert "204" not in responses
    data = responses["200"]["content"]["application/json"]["schema"]["properties"]["data"]
    assert data == {"nullable": True}


def test_error_responses_are_documented(schema):
    post = schema["paths"]["/api/v2/customers"]["post"]["responses"]

    assert {"201", "400", "401", "403", "409", "422", "429"} <= set(post)
    assert post["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ValidationErrorResponse"
    }
    errors = schema["components"]["schemas"]["ValidationErrorResponse"]["properties"]["errors"]
    assert errors["additionalProperties"] == {"type": "string"}


def test_rate_limit_headers_are_documented(schema):
    too_many = schema["paths"]["/api/v2/customers"]["get"]["responses"]["429"]

    assert set(too_many["headers"]) == {
        "X-Request-ID",
        "X-RateLimit-Limit",
        "X-RateLimit-Remaining",
        "X-RateLimit-Reset",
        "Retry-After",
    }
    assert schema["components"]["headers"]["Retry-After.required"]["required"] is True


def test_idempotency_and_etag_are_documented(schema):
    post_params = schema["paths"]["/api/v2/customers"]["post"]["parameters"]
    get = schema["paths"]["/api/v2/customers/{id}"]["get"]

    assert {"name": "Idempotency-Key", "in": "header"}.items() <= post_params[-1].items()
    assert post_params[-1]["schema"]["maxLength"] == 255
    assert "If-None-Match" in [p["name"] for p in get["parameters"]]
    assert "ETag" in get["responses"]["200"]["headers"]
    assert "304" in get["responses"]


def test_generic_base_class_docstring_is_not_shown(schema):
    descriptions = [
        op.get("description", "")
        for item in schema["paths"].values()
        for op in item.values()
        if isinstance(op, dict)
    ]

    assert not [d for d in descriptions if "create_object(data)" in d]


def test_docs_page_loads_its_assets_from_this_site(client):
    response = client.get("/api/v2/docs")

    page = response.content.decode()
    assert response.status_code == 200
    assert "swagger-ui" in page
    assert "cdn.jsdelivr.net" not in page
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
