from django.urls import re_path

from audit.views import AuditEventViewSet, BooksView


def api_routes(router):
    router.register("audit-events", AuditEventViewSet, basename="audit-event")
    return [re_path(r"^settings/books/?$", BooksView.as_view(), name="settings-books")]
