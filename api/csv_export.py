"""CSV on every list endpoint (contract section 14; decisions in docs/api.md).

`?format=csv` (DRF's format override) or `Accept: text/csv` on a viewset's `list` answers every
row that matches the filters, search and ordering (not one page), streamed in chunks so memory
stays flat whatever the row count. The columns are the list's JSON fields, rendered by the
view's own serializer; the first field holding a list of objects (an invoice's or quote's
`items`) is flattened to one row per element, its columns named `items.<field>`.

Query cost: one query for the rows (a server-side cursor on PostgreSQL) plus, per chunk of
`CHUNK_SIZE` rows, one query per prefetch the list's queryset declares: the same few queries
for 1 row or `CHUNK_SIZE`, never one per row.
"""

import csv
import io
import json
from collections.abc import Iterator
from itertools import islice

from django.http import StreamingHttpResponse
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import BaseRenderer

from api.pagination import page_params
from core.db import current_alias, using_alias

CHUNK_SIZE = 500
FORMATS = ("json", "csv")
FORMAT_ERROR = "Use json or csv."


class CSVRenderer(BaseRenderer):
    """Selects CSV in content negotiation. The rows themselves are streamed by
    `CsvListMixin.csv_response`; a `Response` (an error) on a CSV request is rendered as the
    API's JSON instead (`CsvListMixin.finalize_response`)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        raise NotImplementedError("CSV lists are streamed by CsvListMixin")


def _flattened(field) -> bool:
    return isinstance(field, serializers.ListSerializer) and isinstance(
        field.child, serializers.Serializer
    )


def _readable(fields) -> list[str]:
    return [name for name, field in fields.items() if not field.write_only]


class CsvLayout:
    """The header and the rows of one serializer's output."""

    def __init__(self, serializer: serializers.Serializer):
        self.columns: list[tuple[str, str | None]] = []  # (field, sub-field of the flat list)
        self.flat: str | None = None
        for name in _readable(serializer.fields):
            field = serializer.fields[name]
            if self.flat is None and _flattened(field):
                self.flat = name
                self.columns += [(name, sub) for sub in _readable(field.child.fields)]
            else:
                self.columns.append((name, None))

    @property
    def header(self) -> list[str]:
        return [name if sub is None else f"{name}.{sub}" for name, sub in self.columns]

    def rows(self, data: dict) -> Iterator[list[str]]:
        # A document without lines still gets its one row, with the line columns blank.
        elements = (data.get(self.flat) or [{}]) if self.flat else [{}]
        for element in elements:
            yield [
                cell(data.get(name) if sub is None else element.get(sub))
                for name, sub in self.columns
            ]


def cell(value) -> str:
    """One value as CSV text: exactly what the JSON shows (`1500.00`, `2024-05-01`), blank for
    null, `true`/`false` for booleans, JSON for a nested object or list."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, default=str, separators=(",", ":"))
    return str(value)


def _lines(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


def stream_csv(queryset, serializer_class, context: dict, alias: str) -> Iterator[str]:
    """The CSV text, chunk by chunk. The body is produced after the view has returned, when
    the middleware has already put the request's database back to live: each chunk runs on
    `alias`, the one the request had (the sandbox for a sandbox key)."""
    layout = CsvLayout(serializer_class(context=context))
    yield _lines([layout.header])
    with using_alias(alias):
        objects = queryset.iterator(chunk_size=CHUNK_SIZE)
    while True:
        with using_alias(alias):
            chunk = list(islice(objects, CHUNK_SIZE))
            if not chunk:
                return
            data = serializer_class(chunk, many=True, context=context).data
        yield _lines([row for item in data for row in layout.rows(item)])


class CsvListMixin:
    """Gives a viewset's `list` its CSV form; the base viewsets (api.viewsets) include it, so
    every list endpoint has it."""

    def get_renderers(self):
        renderers = super().get_renderers()
        if getattr(self, "action", None) == "list":
            renderers = [*renderers, CSVRenderer()]
        return renderers

    def wants_csv(self) -> bool:
        return isinstance(getattr(self.request, "accepted_renderer", None), CSVRenderer)

    def list(self, request, *args, **kwargs):
        # An unknown `?format=` is refused rather than silently answered as JSON.
        if request.query_params.get("format") not in (None, "", *FORMATS):
            raise ValidationError({"format": FORMAT_ERROR})
        if self.wants_csv():
            # Ignored, but held to the same limits as on the JSON list (the fuzzer found
            # `?format=csv&limit=-5` answered 200 where the schema promised a 400).
            page_params(request)
            return self.csv_response(self.filter_queryset(self.get_queryset()))
        return super().list(request, *args, **kwargs)

    def csv_response(self, queryset) -> StreamingHttpResponse:
        name = self.request.path.rstrip("/").rsplit("/", 1)[-1] or "export"
        response = StreamingHttpResponse(
            stream_csv(
                queryset,
                self.get_serializer_class(),
                self.get_serializer_context(),
                alias=current_alias(),
            ),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        if not getattr(response, "streaming", False) and self.wants_csv():
            # Only the rows are CSV: errors (400, 401, 429, ...) keep the API's JSON envelope.
            renderer = self.get_renderers()[0]
            request.accepted_renderer = renderer
            request.accepted_media_type = renderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)
