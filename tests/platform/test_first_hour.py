"""What a newcomer meets first: the JSON index at /api/v2, JSON for any path under /api (also
with DEBUG on), and a 415 that says to send JSON."""

import pytest

from customers.models import Customer

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/v2", "/api/v2/"])
def test_the_api_root_is_a_json_index_without_a_key(anon, path):
    response = anon.get(path)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = response.json()["data"]
    assert data["schema"] == "/api/v2/schema"
    assert data["docs"] == "/api/v2/docs"
    assert {"/api/v2/customers", "/api/v2/invoices", "/api/v2/reports/financial"} <= set(
        data["paths"]
    )


@pytest.mark.parametrize("path", ["/api", "/api/", "/api/v1/customers", "/api/v2/nope/1/x"])
def test_unknown_paths_under_api_are_json_404s_even_with_debug(anon, settings, path):
    settings.DEBUG = True

    response = anon.get(path)

    assert response.status_code == 404
    assert response.json() == {"success": False, "message": "Not found."}


def test_a_form_encoded_post_is_a_415_that_says_to_send_json(api):
    response = api.post(
        "/api/v2/customers",
        "account=Jane&email=jane%40example.com",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 415
    assert response.json() == {
        "success": False,
        "message": "Unsupported media type 'application/x-www-form-urlencoded': send the body "
        "as JSON with the header 'Content-Type: application/json'.",
    }
    assert Customer.objects.count() == 0
