from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView

urlpatterns = [
    path("admin/", admin.site.urls),
    re_path(r"^api/v2/", include("api.urls")),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]

handler400 = "api.views.handler400"
handler404 = "api.views.handler404"
handler500 = "api.views.handler500"
