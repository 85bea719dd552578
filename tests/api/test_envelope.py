"""Contract section 3: every response under /api/v2/ is JSON in the envelope."""

import pytest

from customers.models import Customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_list_is_enveloped_with_meta(api):
    CustomerFactory.create_batch(3)

    response = api.get("/api/v2/customers")

    body = response.json()
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert body["success"] is True
    assert len(body["data"]) == 3
    assert body["meta"] == {"current_page": 1, "total_pages": 1, "total_records": 3}


def test_detail_is_enveloped(api):
    customer = CustomerFactory(account="John Doe")

    body = api.get(f"/api/v2/customers/{customer.pk}").json()

    assert body["success"] is True
    assert body["data"]["account"] == "John Doe"
    assert "meta" not in body


def test_create_answers_201(api):
    response = api.post(
        "/api/v2/customers", {"account": "Jane Smith", "email": "jane@example.com"}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["data"]["email"] == "jane@example.com"


def test_delete_answers_200_with_null_data(api):
    customer = CustomerFactory()

    response = api.delete(f"/api/v2/customers/{customer.pk}")

    assert response.status_code == 200
    assert response.json() == {"success": True, "data": None}
    assert not Customer.objects.filter(pk=customer.pk).exists()


def test_validation_error_has_one_sentence_per_field(api):
    response = api.post(
        "/api/v2/customers", {"account": "", "email": "not-an-email"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "message": "Validation failed",
        "errors": {
            "account": "This field may not be blank.",
            "email": "Invalid email format",
        },
    }
    assert Customer.objects.count() == 0


def test_nested_validation_errors_use_dotted_paths(api):
    payload = {
        "customers": [
            {"account": "Customer 1", "email": "customer1@example.com"},
            {"account": "Customer 2", "email": "broken"},
        ]
    }

    response = api.post("/api/v2/batch/customers", payload, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"customers.1.email": "Invalid email format"}
    assert Customer.objects.count() == 0


def test_malformed_json_is_a_400(api):
    response = api.generic(
        "POST", "/api/v2/customers", data='{"account": ', content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["success"] is False
    assert "Malformed JSON" in response.json()["message"]


def test_unknown_path_is_a_json_404(api):
    response = api.get("/api/v2/no-such-thing")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"success": False, "message": "Not found."}


def test_unknown_path_post_without_key_is_a_json_404_not_a_csrf_page(anon):
    response = anon.post("/api/v2/no-such-thing", {"a": 1}, format="json")

    assert response.status_code == 404
    assert response.json()["success"] is False


def test_unknown_id_is_a_json_404(api):
    response = api.get("/api/v2/customers/999999")

    assert response.status_code == 404
    assert response.json() == {"success": False, "message": "Not found."}


def test_wrong_method_is_a_json_405(api):
    response = api.delete("/api/v2/customers")

    assert response.status_code == 405
    assert response.json()["success"] is False


def test_client_asking_for_html_still_gets_json(api):
    response = api.get("/api/v2/customers", HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize("path", ["/api/v2/customers", "/api/v2/customers/"])
def test_paths_work_with_and_without_trailing_slash_without_redirect(api, path):
    response = api.post(
        path, {"account": "Slash Co", "email": f"s{len(path)}@x.com"}, format="json"
    )

    assert response.status_code == 201


def test_detail_path_with_trailing_slash(api):
    customer = CustomerFactory()

    assert api.get(f"/api/v2/customers/{customer.pk}/").status_code == 200


def test_request_id_is_generated(api):
    response = api.get("/api/v2/customers")

    assert len(response["X-Request-ID"]) == 32


def test_request_id_is_echoed(api):
    response = api.get("/api/v2/customers", HTTP_X_REQUEST_ID="client-req-42")

    assert response["X-Request-ID"] == "client-req-42"


def test_unsafe_request_id_is_replaced(api):
    response = api.get("/api/v2/customers", HTTP_X_REQUEST_ID="bad id\nwith newline")

    assert response["X-Request-ID"] != "bad id\nwith newline"


def test_unexpected_error_is_a_json_500_without_stack_trace(api, monkeypatch):
    from customers import services

    def explode(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(services, "customer_create", explode)
    api.raise_request_exception = False

    response = api.post("/api/v2/customers", {"account": "A", "email": "a@b.co"}, format="json")

    assert response.status_code == 500
    body = response.json()
    assert body["success"] is False
    assert "secret internals" not in body["message"]
    assert response["X-Request-ID"] in body["message"]


def test_money_and_timestamps_formats(api):
    customer = CustomerFactory()

    data = api.get(f"/api/v2/customers/{customer.pk}").json()["data"]

    assert data["created_at"].endswith("Z")
    assert isinstance(data["id"], int)
