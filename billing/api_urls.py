from django.urls import re_path

from billing.views import (
    CreditNoteViewSet,
    InvoiceViewSet,
    ProductImportView,
    ProductViewSet,
    QuoteViewSet,
)


def api_routes(router):
    router.register("products", ProductViewSet, basename="product")
    router.register("invoices", InvoiceViewSet, basename="invoice")
    router.register("quotes", QuoteViewSet, basename="quote")
    router.register("credit-notes", CreditNoteViewSet, basename="credit-note")
    return [re_path(r"^import/products/?$", ProductImportView.as_view(), name="product-import")]
