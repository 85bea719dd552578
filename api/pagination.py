import math

from django.db.models import Func, IntegerField, QuerySet, Subquery
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


# The page's rows carry the total under this name when it was counted in the same query.
TOTAL = "_page_total"
# From this offset on a page is chosen by key first (a "deferred join"): below it the plain
# OFFSET is as cheap and one subquery simpler.
DEFERRED_JOIN_OFFSET = 1000
# A page number can be any whole number, but an OFFSET past a 64-bit integer is a database
# error: past this offset the count alone answers (the page is empty).
BEYOND_ANY_TABLE = 10**15


class _CountAll(Func):
    template = "COUNT(*)"
    output_field = IntegerField()


def _one_trip(queryset) -> bool:
    """Whether the total can ride along with the page as a scalar subquery: a plain filtered
    list (no DISTINCT, GROUP BY, set operation, slice or values() rows)."""
    if not isinstance(queryset, QuerySet):
        return False  # a list of computed entries (the event catalog) has its own count
    query = queryset.query
    return not (
        query.distinct
        or query.group_by is not None
        or query.combinator
        or query.is_sliced
        or query.values_select
        or query.select_for_update
        or any(getattr(a, "contains_aggregate", False) for a in query.annotations.values())
    )


class Pagination(BasePagination):
    """`page` from 1 and `limit` (default 20, capped at 100). A page past the end is an empty
    page with a correct `meta`, never a 404 (contract section 4).

    The total and the page come from one query where they can: the page's SELECT carries
    `(SELECT COUNT(*) ... same WHERE)` as a column, which PostgreSQL runs once for the
    statement. That is one database round trip per list instead of two; only a page past the
    end (no row to carry the total, and the first page's emptiness says nothing of it) asks for
    the count again.
    """

    def paginate_queryset(self, queryset, request, view=None):
        self.page, self.limit = page_params(request)
        offset = (self.page - 1) * self.limit
        if _one_trip(queryset) and offset < BEYOND_ANY_TABLE:
            counted = queryset.order_by().annotate(_n=_CountAll()).values("_n")
            if offset >= DEFERRED_JOIN_OFFSET:
                # Skip rows by their key alone, then fetch the page's rows: an OFFSET over
                # full rows reads every skipped row from the table, an OFFSET over the ordered
                # keys can read the index only (the last of 5,000 pages: 22 ms -> 8 ms).
                keys = queryset.values("pk")[offset : offset + self.limit]
                rows = queryset.filter(pk__in=keys)
            else:
                rows = queryset[offset : offset + self.limit]
            page = list(rows.annotate(**{TOTAL: Subquery(counted)}))
            if page or offset == 0:  # an empty first page: nothing matches
                self.total = getattr(page[0], TOTAL) if page else 0
                return page
        self.total = queryset.count()
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
