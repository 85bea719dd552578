from django.urls import re_path

from customers.lead_views import LeadViewSet
from customers.views import CustomerBatchView, CustomerViewSet


def api_routes(router):
    router.register("customers", CustomerViewSet, basename="customer")
    router.register("leads", LeadViewSet, basename="lead")
    return [re_path(r"^batch/customers/?$", CustomerBatchView.as_view(), name="customer-batch")]
