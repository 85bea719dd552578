"""core.filters.FilterSet: the form class is built once per FilterSet class and set of filters
a request names, and filtering and its validation behave as before on every request."""

import pytest
from django.http import QueryDict

from customers.filters import CustomerFilter, LeadFilter
from tests.factories import CustomerFactory


def test_the_form_class_is_built_once_per_filterset_and_filters_named():
    first = CustomerFilter(QueryDict("country=fr")).get_form_class()
    second = CustomerFilter(QueryDict("country=de&page=2")).get_form_class()
    other = CustomerFilter(QueryDict("search=acme")).get_form_class()

    assert first is second
    assert list(first.base_fields) == ["country"]
    assert list(other.base_fields) == ["search"]


def test_each_filterset_has_its_own_form_class():
    customers = CustomerFilter().get_form_class()
    leads = LeadFilter().get_form_class()

    assert customers is not leads
    assert "updated_since" in customers.base_fields
    assert set(leads.base_fields) == set(LeadFilter.base_filters)


@pytest.mark.django_db
def test_filters_apply_on_every_request(api):
    CustomerFactory(country="FR")
    CustomerFactory(country="DE")

    for country in ("fr", "de", "fr"):
        response = api.get(f"/api/v2/customers?country={country}")
        assert [c["country"] for c in response.json()["data"]] == [country.upper()]


@pytest.mark.django_db
def test_an_invalid_filter_value_is_a_400_every_time(api):
    for _ in range(2):
        response = api.get("/api/v2/customers?updated_since=yesterday-ish")
        assert response.status_code == 400
        assert "updated_since" in response.json()["errors"]
