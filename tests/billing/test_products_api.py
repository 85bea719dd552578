from decimal import Decimal

import pytest

from billing.models import Product
from tests.billing.factories import ProductFactory

pytestmark = pytest.mark.django_db

HOSTING = {
    "name": "Web Hosting",
    "price": 99.99,
    "description": "Annual web hosting package",
    "type": "service",
    "tax_rate": 10,
}


def test_create_with_reference_body(api):
    response = api.post("/api/v2/products", HOSTING, format="json")

    data = response.json()["data"]
    assert response.status_code == 201
    assert {k: data[k] for k in HOSTING} == HOSTING
    assert set(data) == {*HOSTING, "id", "created_at", "updated_at"}
    assert Product.objects.get().price == Decimal("99.99")


def test_price_cannot_be_negative(api):
    response = api.post("/api/v2/products", {**HOSTING, "price": -1}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"price": "Price cannot be negative."}
    assert Product.objects.count() == 0


def test_tax_rate_must_be_a_percentage(api):
    response = api.post("/api/v2/products", {**HOSTING, "tax_rate": 101}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"tax_rate": "Tax rate must be between 0 and 100."}


def test_type_must_be_product_or_service(api):
    response = api.post("/api/v2/products", {**HOSTING, "type": "subscription"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"type": '"subscription" is not a valid choice.'}


def test_retrieve(api):
    product = ProductFactory(name="Dock", price=Decimal("189.00"), tax_rate=Decimal("8.25"))

    data = api.get(f"/api/v2/products/{product.pk}").json()["data"]

    assert (data["name"], data["price"], data["tax_rate"]) == ("Dock", 189.0, 8.25)


def test_put_replaces(api):
    product = ProductFactory()

    response = api.put(f"/api/v2/products/{product.pk}", HOSTING, format="json")

    assert response.status_code == 200
    product.refresh_from_db()
    assert (product.name, product.price, product.tax_rate) == (
        "Web Hosting",
        Decimal("99.99"),
        Decimal("10.00"),
    )


def test_patch_changes_one_field(api):
    product = ProductFactory(name="Old", price=Decimal("5.00"))

    response = api.patch(f"/api/v2/products/{product.pk}", {"price": "7.5"}, format="json")

    assert response.json()["data"]["price"] == 7.5
    product.refresh_from_db()
    assert (product.name, product.price) == ("Old", Decimal("7.50"))


def test_delete(api):
    product = ProductFactory()

    response = api.delete(f"/api/v2/products/{product.pk}")

    assert response.status_code == 200
    assert response.json() == {"success": True, "data": None}
    assert Product.objects.count() == 0


def test_search_by_name(api):
    ProductFactory(name="Web Hosting")
    ProductFactory(name="Laptop Stand")

    data = api.get("/api/v2/products?search=hosting").json()["data"]

    assert [p["name"] for p in data] == ["Web Hosting"]


def test_filter_by_type(api):
    ProductFactory(name="Stand", type="product")
    ProductFactory(name="Audit", type="service")

    data = api.get("/api/v2/products?type=product").json()["data"]

    assert [p["name"] for p in data] == ["Stand"]


def test_viewer_cannot_create(client_for):
    response = client_for("viewer").post("/api/v2/products", HOSTING, format="json")

    assert response.status_code == 403
    assert Product.objects.count() == 0


def test_a_tiny_negative_price_is_refused_before_rounding(api):
    response = api.post("/api/v2/products", {"name": "Odd", "price": "-0.001"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"price": "Price cannot be negative."}
    assert not Product.objects.filter(name="Odd").exists()
