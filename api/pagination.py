import math

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


def _positive_int(request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ValidationError({name: f"{name} must be a whole number."}) from None
    if value < 1:
        raise ValidationError({name: f"{name} must be 1 or greater."})
    return value


def page_params(request) -> tuple[int, int]:
    """`page` and `limit` of a list request, each a 400 naming it when it is not a whole number
    from 1. A CSV export checks them too, though it answers every row: the schema states the
    same limits for both forms of the list."""
    return (
        _positive_int(request, "page", 1),
        min(_positive_int(request, "limit", DEFAULT_LIMIT), MAX_LIMIT),
    )


class Pagination(BasePagination):
    """`page` from 1 and `limit` (default 20, capped at 100). A page past the end is an empty
    page with a correct `meta`, never a 404 (contract section 4)."""

    def paginate_queryset(self, queryset, request, view=None):
        self.page, self.limit = page_params(request)
        self.total = queryset.count()
        offset = (self.page - 1) * self.limit
        if offset >= self.total:
            return []
        return list(queryset[offset : offset + self.limit])

    def get_paginated_response(self, data):
        return Response(
            {
                "success": True,
                "data": data,
                "meta": {
                    "current_page": self.page,
                    "total_pages": math.ceil(self.total / self.limit),
                    "total_records": self.total,
                },
            }
        )

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": "page",
                "required": False,
                "in": "query",
                "description": "Page number, from 1.",
                "schema": {"type": "integer", "minimum": 1},
            },
            {
                "name": "limit",
                "required": False,
                "in": "query",
                "description": "Results per page (default 20, at most 100; larger is capped).",
                "schema": {"type": "integer", "minimum": 1},
            },
        ]

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["success", "data", "meta"],
            "properties": {
                "success": {"type": "boolean", "enum": [True]},
                "data": schema,
                "meta": {
                    "type": "object",
                    "properties": {
                        "current_page": {"type": "integer"},
                        "total_pages": {"type": "integer"},
                        "total_records": {"type": "integer"},
                    },
                },
            },
        }
