"""Platform routes under /api/v2/: the OpenAPI schema and its browsable docs."""

from django.urls import re_path

from api.schema import DocsView, SchemaView


def api_routes(router):
    return [
        re_path(r"^schema/?$", SchemaView.as_view(), name="api-schema"),
        re_path(r"^docs/?$", DocsView.as_view(), name="api-docs"),
    ]
