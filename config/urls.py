from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from api.health import health
from api.index import ApiIndexView
from api.views import api_not_found
from core.admin_export import export_csv, export_xlsx

admin.site.site_header = "Ledgerline back office"
admin.site.site_title = "Ledgerline"
admin.site.index_title = "Billing, CRM and support"
# Every changelist exports its selected rows (core/admin_export.py).
admin.site.add_action(export_csv)
admin.site.add_action(export_xlsx)

urlpatterns = [
    path("admin/", admin.site.urls),
    re_path(r"^api/v2/", include("api.urls")),
    # `/api/v2` without its slash is the index too; anything else under /api is a JSON 404,
    # also with DEBUG on (Django's debug 404 page is HTML and skips handler404).
    re_path(r"^api/v2$", ApiIndexView.as_view()),
    re_path(r"^api(?:/.*)?$", api_not_found),
    path("health", health, name="health"),
    # The client portal: public pages by document token (docs/portal.md).
    path("", include("portal.urls")),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]

handler400 = "api.views.handler400"
handler404 = "api.views.handler404"
handler500 = "api.views.handler500"
