"""The reference's own examples appear in the OpenAPI document and are accurate."""

import pytest
from jsonschema import Draft4Validator

from api.schema_examples import REFERENCE_REQUESTS, REFERENCE_RESPONSES

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        return APIClient().get("/api/v2/schema").json()


def _validate(instance: dict, subschema: dict, document: dict) -> list[str]:
    # OpenAPI 3.0 schemas follow JSON Schema draft 4 (boolean exclusiveMaximum, ...).
    validator = Draft4Validator({**subschema, "components": document["components"]})
    return [error.message for error in validator.iter_errors(instance)]


@pytest.mark.parametrize(("path", "method"), list(REFERENCE_REQUESTS))
def test_reference_request_examples_are_in_the_schema_and_valid(schema, path, method):
    content = schema["paths"][path][method]["requestBody"]["content"]["application/json"]

    example = content["examples"]["reference"]["value"]

    assert example == REFERENCE_REQUESTS[(path, method)]
    assert _validate(example, content["schema"], schema) == []


@pytest.mark.parametrize(("path", "method", "status"), list(REFERENCE_RESPONSES))
def test_reference_response_examples_are_in_the_schema_and_valid(schema, path, method, status):
    content = schema["paths"][path][method]["responses"][status]["content"]["application/json"]

    example = content["examples"]["reference"]["value"]

    assert _validate(example, content["schema"], schema) == []


@pytest.mark.parametrize("path", ["/api/v2/customers", "/api/v2/batch/customers"])
def test_the_customer_examples_work_as_documented(api, path):
    response = api.post(path, REFERENCE_REQUESTS[(path, "post")], format="json")

    assert response.status_code == 201
