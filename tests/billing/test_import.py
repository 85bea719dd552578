"""`POST /api/v2/import/products` (contract section 14): a CSV file, all rows or none."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from billing.models import Product

pytestmark = pytest.mark.django_db

URL = "/api/v2/import/products"


def _post(client, text: str, **fields):
    upload = SimpleUploadedFile("products.csv", text.encode("utf-8"), content_type="text/csv")
    return client.post(URL, {"file": upload, **fields}, format="multipart")


def test_import_creates_products_with_the_apis_defaults(api):
    text = "name,price,type,tax_rate,description\nDesign,120.50,service,10,\nMug,8,product,,A mug\n"

    response = _post(api, text)

    assert response.status_code == 201
    assert response.json()["data"] == {"dry_run": False, "would_create": 2, "created": 2}
    assert list(
        Product.objects.order_by("id").values_list(
            "name", "price", "type", "tax_rate", "description"
        )
    ) == [
        ("Design", Decimal("120.50"), "service", Decimal("10.00"), ""),
        ("Mug", Decimal("8.00"), "product", Decimal("0.00"), "A mug"),
    ]


def test_dry_run_writes_nothing(api):
    response = _post(api, "name,price\nDesign,120\n", dry_run="true")

    assert response.status_code == 200
    assert response.json()["data"] == {"dry_run": True, "would_create": 1, "created": 0}
    assert Product.objects.count() == 0


def test_bad_rows_answer_rows_n_field_with_the_json_apis_messages(api):
    json_answer = api.post("/api/v2/products", {"name": "X", "price": -1, "tax_rate": 101}).json()

    response = _post(api, "name,price,tax_rate\nFine,1,0\nBad,-1,101\n")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "rows.1.price": json_answer["errors"]["price"],
        "rows.1.tax_rate": json_answer["errors"]["tax_rate"],
    }
    assert json_answer["errors"]["price"] == "Price cannot be negative."
    assert Product.objects.count() == 0


def test_viewers_may_not_import(client_for):
    response = _post(client_for("viewer"), "name,price\nDesign,120\n")

    assert response.status_code == 403
    assert Product.objects.count() == 0
