"""Hostile request bodies (issue 13, items 7 and 10): each is a 400 in the envelope, never a
500, and nothing is written."""

import pytest

from api.parsers import MAX_DEPTH
from customers.models import Customer

pytestmark = pytest.mark.django_db


def _nested(depth: int) -> str:
    return '{"account": ' + "[" * depth + "]" * depth + "}"


def test_json_nested_a_thousand_deep_is_a_400(api):
    response = api.generic(
        "POST", "/api/v2/customers", data=_nested(1000), content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "message": "Malformed JSON: the request body is nested more than 64 levels deep.",
    }
    assert Customer.objects.count() == 0


def test_json_one_level_past_the_limit_is_a_400(api):
    response = api.generic(
        "POST", "/api/v2/customers", data=_nested(MAX_DEPTH), content_type="application/json"
    )

    assert response.status_code == 400
    assert "nested more than 64 levels" in response.json()["message"]
    assert Customer.objects.count() == 0


def test_json_at_the_limit_reaches_validation(api):
    # The outer object is level 1, so MAX_DEPTH - 1 arrays inside it is exactly the limit.
    response = api.generic(
        "POST", "/api/v2/customers", data=_nested(MAX_DEPTH - 1), content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["message"] == "Validation failed"
    assert Customer.objects.count() == 0
