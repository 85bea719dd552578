from django.urls import re_path

from customers.views import CustomerBatchView, CustomerImportView, CustomerViewSet, LeadViewSet


def api_routes(router):
    router.register("customers", CustomerViewSet, basename="customer")
    router.register("leads", LeadViewSet, basename="lead")
    return [
        re_path(r"^batch/customers/?$", CustomerBatchView.as_view(), name="customer-batch"),
        re_path(r"^import/customers/?$", CustomerImportView.as_view(), name="customer-import"),
    ]
