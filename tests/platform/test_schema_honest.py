"""The served schema says what the server does (issue #14): valid OpenAPI, clean under Redocly's
recommended rules, a summary and description on every operation, the webhook actions and limits
as the server has them."""

import json
import shutil
import subprocess

import pytest
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db

REDOCLY = "@redocly/cli@2.77.0"
METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        return APIClient().get("/api/v2/schema").json()


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_the_served_schema_is_valid_openapi(schema):
    validate(schema)


@pytest.mark.slow
def test_redocly_recommended_rules_find_no_error(schema, tmp_path):
    if shutil.which("npx") is None:
        pytest.skip("npx (Node.js) is not installed: Redocly lint skipped")
    document = tmp_path / "schema.json"
    document.write_text(json.dumps(schema))

    result = subprocess.run(  # noqa: S603 - npx with fixed arguments
        ["npx", "--yes", REDOCLY, "lint", "--extends", "recommended", "--format", "json"]
        + [str(document)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    if result.returncode != 0 and not result.stdout.strip().startswith("{"):
        pytest.skip(f"Redocly could not run (offline?): {result.stderr.strip()[-200:]}")
    problems = json.loads(result.stdout)["problems"]
    assert [p["message"] for p in problems if p["severity"] == "error"] == []


def test_every_operation_has_a_summary_and_a_description(schema):
    missing = [
        f"{method.upper()} {path}"
        for path, method, operation in _operations(schema)
        if not operation.get("summary") or not operation.get("description")
    ]

    assert missing == []


def test_an_endpoints_deliveries_are_a_page_of_deliveries(schema):
    ok = schema["paths"]["/api/v2/webhooks/{id}/deliveries"]["get"]["responses"]["200"]
    ref = ok["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]

    data = schema["components"]["schemas"][ref]["properties"]["data"]
    assert data == {"type": "array", "items": {"$ref": "#/components/schemas/Delivery"}}


@pytest.mark.parametrize("path", ["/api/v2/webhooks/{id}/test", "/api/v2/deliveries/{id}/retry"])
def test_test_and_retry_take_no_body_and_answer_202(schema, path):
    operation = schema["paths"][path]["post"]

    assert "requestBody" not in operation
    assert "202" in operation["responses"]
    assert "200" not in operation["responses"]


def test_the_webhook_create_response_has_the_secret(schema):
    created = schema["paths"]["/api/v2/webhooks"]["post"]["responses"]["201"]
    body = created["content"]["application/json"]["schema"]

    assert body["properties"]["data"] == {"$ref": "#/components/schemas/EndpointCreated"}
    assert "secret" in schema["components"]["schemas"]["EndpointCreated"]["properties"]


def test_the_schema_states_the_enforced_limits(schema):
    components = schema["components"]["schemas"]

    assert components["UserCreateRequest"]["properties"]["password"]["minLength"] == 8
    assert components["CustomerBatchRequest"]["properties"]["customers"]["minItems"] == 1
    assert (
        "invoice.created" in components["EndpointRequest"]["properties"]["events"]["items"]["enum"]
    )
    assert "Converted" not in components["PatchedLeadRequest"]["properties"]["status"]["enum"]
    assert "anyOf" in components["DepartmentRequest"]["properties"]["email"]


def test_the_pdf_declares_no_etag(schema):
    ok = schema["paths"]["/api/v2/invoices/{id}/pdf"]["get"]["responses"]["200"]

    assert "ETag" not in ok["headers"]
