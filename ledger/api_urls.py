from django.urls import re_path

from ledger.views import (
    AccountViewSet,
    CategoryViewSet,
    ExchangeRateViewSet,
    TransactionViewSet,
    TransferView,
)


def api_routes(router):
    router.register("accounts", AccountViewSet, basename="account")
    router.register("categories", CategoryViewSet, basename="category")
    router.register("transactions", TransactionViewSet, basename="transaction")
    router.register("exchange-rates", ExchangeRateViewSet, basename="exchange-rate")
    return [re_path(r"^transfers/?$", TransferView.as_view(), name="transfer-create")]
