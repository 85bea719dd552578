"""core.filters.FilterBackend builds a view's FilterSet only when the request names one of
its filters; what any request answers is unchanged."""

import pytest

from customers.filters import CustomerFilter
from customers.models import Customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def built(monkeypatch) -> list:
    calls = []
    original = CustomerFilter.__init__

    def counting(self, *args, **kwargs):
        calls.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(CustomerFilter, "__init__", counting)
    return calls


def test_a_list_without_filters_builds_no_filterset(api, built):
    CustomerFactory.create_batch(3)

    response = api.get("/api/v2/customers?page=1&limit=2&ordering=-id")

    assert response.status_code == 200
    assert response.json()["meta"]["total_records"] == 3
    assert built == []


def test_a_named_filter_still_filters(api, built):
    CustomerFactory(country="FR")
    CustomerFactory(country="US")

    response = api.get("/api/v2/customers?country=fr")

    assert [c["country"] for c in response.json()["data"]] == ["FR"]
    assert built == [1]


def test_a_bad_filter_value_is_still_refused(api, built):
    response = api.get("/api/v2/customers?created_from=yesterday")

    assert response.status_code == 400
    assert "created_from" in response.json()["errors"]


def test_each_filterset_has_its_own_filters_bound_to_itself():
    first = CustomerFilter({"search": "acme"}, queryset=Customer.objects.all())
    second = CustomerFilter({"search": "globex"}, queryset=Customer.objects.all())

    assert first.filters["search"] is not second.filters["search"]
    assert first.filters["search"].parent is first
    assert first.filters["search"].filter.f is first.filters["search"]
    assert CustomerFilter.base_filters["search"].__dict__.get("parent") is None


def test_a_method_filter_filters_through_its_own_filterset(api):
    CustomerFactory(account="Acme Widgets")
    CustomerFactory(account="Globex")

    acme = api.get("/api/v2/customers?search=acme").json()["data"]
    globex = api.get("/api/v2/customers?search=globex").json()["data"]

    assert [c["account"] for c in acme] == ["Acme Widgets"]
    assert [c["account"] for c in globex] == ["Globex"]


def test_the_form_holds_only_the_filters_the_request_names():
    named = CustomerFilter({"search": "acme", "page": "2"}, queryset=Customer.objects.all())
    unbound = CustomerFilter(queryset=Customer.objects.all())

    assert list(named.form.fields) == ["search"]
    assert set(unbound.form.fields) == set(CustomerFilter.base_filters)


def test_a_suffixed_parameter_names_its_filter():
    filterset = CustomerFilter({"created_from_x": "1"}, queryset=Customer.objects.all())

    assert list(filterset.form.fields) == ["created_from"]


def test_filters_named_together_all_apply(api):
    CustomerFactory(account="Acme France", country="FR")
    CustomerFactory(account="Acme USA", country="US")
    CustomerFactory(account="Globex", country="FR")

    both = api.get("/api/v2/customers?search=acme&country=fr").json()["data"]
    reversed_order = api.get("/api/v2/customers?country=fr&search=acme").json()["data"]

    assert [c["account"] for c in both] == ["Acme France"]
    assert reversed_order == both


def test_a_client_inventing_combinations_grows_no_cache(monkeypatch):
    from core import filters

    monkeypatch.setattr(filters.FilterSet, "_form_classes", {})
    monkeypatch.setattr(filters, "MAX_FORM_CLASSES", 2)
    combinations = [
        {"search": "a"},
        {"email": "a"},
        {"country": "a"},
        {"search": "a", "email": "a"},
    ]

    forms = [CustomerFilter(data, queryset=Customer.objects.all()).form for data in combinations]

    assert [set(form.fields) for form in forms] == [
        {"search"},
        {"email"},
        {"country"},
        {"search", "email"},
    ]
    assert len(filters.FilterSet._form_classes) == 2
