from django.urls import re_path

from customers.views import CustomerBatchView, CustomerViewSet


def api_routes(router):
    router.register("customers", CustomerViewSet, basename="customer")
    return [re_path(r"^batch/customers/?$", CustomerBatchView.as_view(), name="customer-batch")]
