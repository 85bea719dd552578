from django.urls import re_path

from billing.views import (
    CreditNoteViewSet,
    InvoiceViewSet,
    ProductImportView,
    ProductViewSet,
    QuoteViewSet,
    RecurringInvoiceViewSet,
)


def api_routes(router):
    router.register("products", ProductViewSet, basename="product")
    router.register("invoices", InvoiceViewSet, basename="invoice")
    router.register("quotes", QuoteViewSet, basename="quote")
    router.register("credit-notes", CreditNoteViewSet, basename="credit-note")
    router.register("recurring-invoices", RecurringInvoiceViewSet, basename="recurring-invoice")
    return [re_path(r"^import/products/?$", ProductImportView.as_view(), name="product-import")]
