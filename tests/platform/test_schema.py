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
    assert data == {"type": "object", "nullable": True, "description": "Always null."}


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


def _links(schema, path):
    return schema["paths"][path]["post"]["responses"]["201"]["links"]


def test_a_create_links_to_the_operations_on_what_it_made(schema):
    links = _links(schema, "/api/v2/customers")

    assert links["customers_retrieve"] == {
        "operationId": "customers_retrieve",
        "parameters": {"id": "$response.body#/data/id"},
    }
    assert {"customers_update", "customers_partial_update", "customers_destroy"} <= set(links)


def test_a_create_links_to_the_creates_whose_body_names_it(schema):
    links = _links(schema, "/api/v2/customers")

    assert links["invoices_create.customer_id"] == {
        "operationId": "invoices_create",
        "requestBody": {"customer_id": "$response.body#/data/id"},
    }
    assert "transfers_create.from_account_id" in _links(schema, "/api/v2/accounts")


def test_a_nested_create_passes_its_parent_id_on(schema):
    links = _links(schema, "/api/v2/invoices/{id}/payments")

    assert links["invoices_payments_void_create"]["parameters"] == {
        "payment_id": "$response.body#/data/id",
        "id": "$request.path.id",
    }


def test_link_targets_are_real_operations(schema):
    operation_ids = {
        operation["operationId"]
        for item in schema["paths"].values()
        for method, operation in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    }
    created = [
        item.get("post", {}).get("responses", {}).get("201", {})
        for item in schema["paths"].values()
    ]
    targets = {
        link["operationId"] for response in created for link in response.get("links", {}).values()
    }

    assert targets
    assert targets <= operation_ids


def test_optional_query_parameters_allow_an_empty_value(schema):
    parameters = {p["name"]: p for p in schema["paths"]["/api/v2/customers"]["get"]["parameters"]}

    assert parameters["page"]["allowEmptyValue"] is True
    assert parameters["updated_since"]["allowEmptyValue"] is True
    assert "allowEmptyValue" not in parameters["If-None-Match"]


def test_an_empty_query_parameter_means_not_given(api):
    plain = api.get("/api/v2/customers").json()

    assert api.get("/api/v2/customers?page=&limit=&search=&updated_since=").json() == plain


def test_a_new_user_needs_a_password_an_update_does_not(schema):
    def body_schema(method, path):
        ref = schema["paths"][path][method]["requestBody"]["content"]["application/json"]
        return schema["components"]["schemas"][ref["schema"]["$ref"].rsplit("/", 1)[-1]]

    assert "password" in body_schema("post", "/api/v2/users")["required"]
    assert "password" not in body_schema("patch", "/api/v2/users/{id}").get("required", [])
