"""The products admin imports through ProductResource (product_batch_create), all or none."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from billing.models import Product
from users.services import user_create

pytestmark = pytest.mark.django_db

PRODUCTS = "/admin/billing/product/"


@pytest.fixture
def staff_client(client):
    client.force_login(user_create(email="staff@example.com", password="pw-123456789"))
    return client


def _preview(client, text: str):
    upload = SimpleUploadedFile("products.csv", text.encode())
    return client.post(
        PRODUCTS + "import/", {"import_file": upload, "format": "0", "resource": "0"}
    )


def test_preview_lists_the_bad_row_then_the_fixed_file_imports(staff_client):
    preview = _preview(staff_client, "name,price,type\nDesign,100,service\nMug,8,gadget\n")

    invalid = preview.context["result"].invalid_rows
    assert [(r.number, list(r.field_specific_errors)) for r in invalid] == [(3, ["type"])]
    assert Product.objects.count() == 0

    good = _preview(staff_client, "name,price,type\nDesign,100,service\nMug,8,product\n")
    form = good.context["confirm_form"]
    data = {name: form.initial.get(name, field.initial) for name, field in form.fields.items()}
    staff_client.post(PRODUCTS + "process_import/", data, follow=True)

    assert list(Product.objects.order_by("id").values_list("name", "type")) == [
        ("Design", "service"),
        ("Mug", "product"),
    ]
