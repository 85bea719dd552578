"""Platform routes under /api/v2/: the OpenAPI schema and its browsable docs, both public,
limited per address and cheap to serve (api/public.py)."""

from django.urls import re_path

from api.public import CachedSchemaView, anonymous_rate_limited
from api.schema import DocsView


def api_routes(router):
    return [
        re_path(
            r"^schema/?$",
            anonymous_rate_limited(CachedSchemaView.as_view()),
            name="api-schema",
        ),
        re_path(r"^docs/?$", anonymous_rate_limited(DocsView.as_view()), name="api-docs"),
    ]
