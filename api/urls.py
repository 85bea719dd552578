"""Every route under /api/v2/. Each domain app registers its viewsets in an `api_urls.py` with
`api_routes(router) -> list[extra url patterns]`; this file only collects them, so apps never
edit each other's routes."""

from importlib import import_module
from importlib.util import find_spec

from django.urls import include, re_path

from api.index import ApiIndexView
from api.routers import OptionalSlashRouter
from api.views import api_not_found

DOMAIN_ROUTE_MODULES = [
    "users.api_urls",
    "customers.api_urls",
    "billing.api_urls",
    "ledger.api_urls",
    "support.api_urls",
    "reporting.api_urls",
    "webhooks.api_urls",
    "mail.api_urls",
    "audit.api_urls",
    "api.platform_urls",
]

router = OptionalSlashRouter()
extra_patterns = []
for module_path in DOMAIN_ROUTE_MODULES:
    if find_spec(module_path) is None:
        continue
    extra_patterns += import_module(module_path).api_routes(router) or []

urlpatterns = [
    re_path(r"^$", ApiIndexView.as_view(), name="api-index"),
    *extra_patterns,
    re_path(r"^", include(router.urls)),
    # Anything else under /api/v2/ is a JSON 404, whatever the method.
    re_path(r"^.*$", api_not_found),
]
