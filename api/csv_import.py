"""`POST /api/v2/import/<resource>`: a CSV file in, every row created or none (contract
section 14; docs/api.md). The hallway reads the upload (multipart field `file`, UTF-8, at most
`MAX_ROWS` data rows) and the `dry_run` flag; the room's resource (core/imports.py) validates
the rows with the API's serializer and creates them through its batch service."""

import csv
import io

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from api.exceptions import error_response
from api.viewsets import ApiView
from core.errors import DomainValidationError
from core.imports import MAX_ROWS, TOO_MANY_ROWS
from core.serializers import Serializer

# Far above any 10,000-row file of real records, far below what would hurt to hold.
MAX_FILE_BYTES = 20 * 1024 * 1024
NOT_UTF8 = "The file must be CSV encoded as UTF-8."
NO_FILE = "Send the CSV file in the multipart field `file`."
EMPTY = "The file is empty: the first row must name the columns."
TOO_BIG = f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB."
DRY_RUN_ERROR = "Use true or false."
MULTIPART_ONLY = (
    "Send the CSV as multipart/form-data, the file in the field `file` "
    "(curl -F file=@customers.csv)."
)


class ImportRequestSerializer(Serializer):
    file = serializers.FileField(help_text="UTF-8 CSV; the header row names the API's fields.")
    dry_run = serializers.ChoiceField(
        choices=["true", "false"],
        required=False,
        help_text="`true`: validate only, write nothing (default `false`).",
    )


class ImportResultSerializer(Serializer):
    dry_run = serializers.BooleanField()
    would_create = serializers.IntegerField(help_text="Rows that pass (all of them).")
    created = serializers.IntegerField(help_text="Rows written: 0 on a dry run.")


def _dry_run(value) -> bool:
    if value in (None, ""):
        return False
    word = str(value).strip().lower()
    if word not in ("true", "false"):
        raise DomainValidationError({"dry_run": DRY_RUN_ERROR})
    return word == "true"


def read_csv(upload) -> tuple[list[str], list[list[str]]]:
    """The header and the data rows of an uploaded CSV. Blank lines are skipped (and not
    counted). Refuses, as `{"file": ...}`, a file that is missing, too large, not UTF-8, not
    CSV, or longer than `MAX_ROWS` rows."""
    if upload is None or isinstance(upload, str):
        raise DomainValidationError({"file": NO_FILE})
    if upload.size > MAX_FILE_BYTES:
        raise DomainValidationError({"file": TOO_BIG})
    try:
        # utf-8-sig: spreadsheets often start UTF-8 files with a byte-order mark.
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DomainValidationError({"file": NOT_UTF8}) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    rows: list[list[str]] = []
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if header is None:
                header = [cell.strip() for cell in cells]
                continue
            rows.append(cells)
            if len(rows) > MAX_ROWS:
                # Counted to the end without keeping the rows: the message gives the size.
                count = len(rows) + sum(1 for more in reader if any(c.strip() for c in more))
                raise DomainValidationError({"file": TOO_MANY_ROWS.format(count=count)})
    except csv.Error as exc:
        raise DomainValidationError({"file": f"The file is not valid CSV: {exc}."}) from None
    if header is None:
        raise DomainValidationError({"file": EMPTY})
    return header, rows


class CsvImportView(ApiView):
    """Subclasses set `resource_class` (a core.imports.ServiceResource)."""

    resource_class = None
    parser_classes = [MultiPartParser]

    def handle_exception(self, exc):
        # The API-wide 415 tells clients to send JSON; this endpoint takes a file.
        if isinstance(exc, exceptions.UnsupportedMediaType):
            return error_response(MULTIPART_ONLY, status.HTTP_415_UNSUPPORTED_MEDIA_TYPE)
        return super().handle_exception(exc)

    @extend_schema(
        request={"multipart/form-data": ImportRequestSerializer},
        responses={
            200: OpenApiResponse(ImportResultSerializer, description="Dry run: nothing written."),
            201: OpenApiResponse(ImportResultSerializer, description="Every row was created."),
        },
    )
    def post(self, request):
        dry_run = _dry_run(request.data.get("dry_run"))
        header, rows = read_csv(request.data.get("file"))
        report = self.resource_class().import_rows(header=header, rows=rows, dry_run=dry_run)
        code = status.HTTP_200_OK if dry_run else status.HTTP_201_CREATED
        return Response(report.as_data(), status=code)
