"""`GET /api/v2`: a JSON map of the API for someone who opens its root (a browser, curl) instead
of Django's 404 page: what is here, where the schema and docs are, how to authenticate."""

import re

from django.conf import settings
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

BASE = "/api/v2"
_PLAIN_ROUTE = re.compile(r"^\^([a-z0-9/_-]+?)/?(?:\?)?\$$")


def _paths() -> list[str]:
    from api.urls import extra_patterns, router

    found = {f"{BASE}/{prefix}" for prefix, _viewset, _basename in router.registry}
    for pattern in extra_patterns:
        match = _PLAIN_ROUTE.match(getattr(pattern.pattern, "_regex", ""))
        if match:
            found.add(f"{BASE}/{match.group(1)}")
    return sorted(found)


class ApiIndexView(APIView):
    """Public like the schema: it lists paths, never data."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="API index",
        description="The API's name and version, where its OpenAPI schema and docs are, how to "
        "send a key, and every collection path. Needs no key.",
        responses=inline_serializer(
            "ApiIndex",
            {
                "name": serializers.CharField(),
                "version": serializers.CharField(),
                "schema": serializers.CharField(),
                "docs": serializers.CharField(),
                "authentication": serializers.CharField(),
                "paths": serializers.ListField(child=serializers.CharField()),
            },
        ),
    )
    def get(self, request):
        spectacular = settings.SPECTACULAR_SETTINGS
        return Response(
            {
                "name": spectacular["TITLE"],
                "version": spectacular["VERSION"],
                "schema": f"{BASE}/schema",
                "docs": f"{BASE}/docs",
                "authentication": "Send your key as 'Authorization: Bearer <key>' or "
                "'X-API-Key: <key>'.",
                "paths": _paths(),
            }
        )
