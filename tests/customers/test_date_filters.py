"""The customers' and leads' date filters keep to the business date window."""

import pytest

pytestmark = pytest.mark.django_db

SENTENCE = "Date must be between 1900-01-01 and 2199-12-31."


@pytest.mark.parametrize("path", ["customers", "leads"])
@pytest.mark.parametrize("name", ["created_from", "created_to"])
@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01"])
def test_created_filters_refuse_dates_out_of_window(api, path, name, value):
    response = api.get(f"/api/v2/{path}?{name}={value}")

    assert response.status_code == 400
    assert response.json()["errors"] == {name: SENTENCE}


@pytest.mark.parametrize("path", ["customers", "leads"])
def test_created_filters_accept_the_window_edges(api, path):
    response = api.get(f"/api/v2/{path}?created_from=1900-01-01&created_to=2199-12-31")

    assert response.status_code == 200
