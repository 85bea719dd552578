"""What the 200-example schemathesis run (FUZZ_EXAMPLES=200, docs/api-platform.md) found on
2026-12-02, one regression test each: the server now does what the schema says."""

import pytest
from rest_framework.test import APIClient

from customers.models import Customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "query",
    ["limit=-5184", "limit=7992729.5", "page=0", "page=false", "limit=null&page=null"],
)
def test_a_csv_export_refuses_the_page_and_limit_a_json_list_refuses(api, query):
    CustomerFactory()

    json_list = api.get(f"/api/v2/customers?{query}")
    export = api.get(f"/api/v2/customers?format=csv&{query}")

    assert json_list.status_code == 400
    assert export.status_code == 400
    assert export["Content-Type"] == "application/json"
    assert export.json()["errors"] == json_list.json()["errors"]


def test_a_csv_export_with_a_valid_page_and_limit_still_answers_every_row(api):
    CustomerFactory.create_batch(3)

    export = api.get("/api/v2/customers?format=csv&page=2&limit=1")

    assert export.status_code == 200
    assert len(b"".join(export.streaming_content).decode().strip().splitlines()) == 1 + 3


@pytest.mark.parametrize("value", [503, 1.5, True, ["NY"], {"s": "NY"}])
def test_a_number_or_other_non_text_for_a_text_field_is_a_400(api, value):
    customer = CustomerFactory(state="NY")

    response = api.patch(f"/api/v2/customers/{customer.pk}", {"state": value}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"state": "Not a valid string."}
    customer.refresh_from_db()
    assert customer.state == "NY"


def test_a_number_for_a_text_field_on_create_is_a_400_and_nothing_is_created(api):
    response = api.post(
        "/api/v2/customers", {"account": 12345, "email": "n@example.com"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"account": "Not a valid string."}
    assert Customer.objects.count() == 0


def test_an_import_posted_without_a_content_type_is_the_documented_415(api):
    response = api.generic("POST", "/api/v2/import/customers", b"\xc2\xbb", content_type="")

    assert response.status_code == 415
    assert "multipart/form-data" in response.json()["message"]
    assert Customer.objects.count() == 0
    schema = APIClient().get("/api/v2/schema", HTTP_ACCEPT="application/json").json()
    assert "415" in schema["paths"]["/api/v2/import/customers"]["post"]["responses"]
    assert "415" in schema["paths"]["/api/v2/customers"]["post"]["responses"]
    assert "415" not in schema["paths"]["/api/v2/customers"]["get"]["responses"]
