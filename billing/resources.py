"""Products in and out of spreadsheets: the one resource both the API's
`POST /api/v2/import/products` and the admin's import/export use (core/imports.py). Rows are
validated by the API's serializer and created by `product_batch_create`."""

from billing import services
from billing.models import Product
from billing.serializers import ProductSerializer
from core.imports import ServiceResource


class ProductResource(ServiceResource):
    serializer_class = ProductSerializer

    class Meta:
        model = Product
        fields = ProductSerializer.Meta.fields
        export_order = ProductSerializer.Meta.fields

    def service_create(self, records):
        return services.product_batch_create(records=records)
