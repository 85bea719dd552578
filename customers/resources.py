"""Customers in and out of spreadsheets: the one resource both the API's
`POST /api/v2/import/customers` and the admin's import/export use (core/imports.py).
Rows are validated by the API's serializer and created by `customer_batch_create`."""

from core.imports import PREFIX, ServiceResource
from customers import services
from customers.models import Customer
from customers.serializers import CustomerSerializer

SOURCE = "file"


class CustomerResource(ServiceResource):
    serializer_class = CustomerSerializer

    class Meta:
        model = Customer
        fields = CustomerSerializer.Meta.fields
        export_order = CustomerSerializer.Meta.fields

    def service_check(self, records):
        return services.customer_batch_errors(records=records, prefix=PREFIX, source=SOURCE)

    def service_create(self, records):
        return services.customer_batch_create(records=records, prefix=PREFIX, source=SOURCE)
