"""Spreadsheet imports, all rows or none (contract section 14; docs/api.md, Import and export).

One resource per importable model (`customers/resources.py`, `billing/resources.py`,
`ledger/resources.py`), used by both doors: the API's `POST /api/v2/import/...` calls
`import_rows`, and the admin's import (django-import-export) calls `import_data`, which runs the
same `import_rows` and reports in import-export's `Result` so its preview lists each bad row.

An import:
1. checks the header: every column is one of the API's field names (read-only ones such as
   `id` or `created_at` are accepted and ignored, so an export imports back), and every
   required field has a column;
2. validates every row with the API's own serializer, so each message is the JSON API's; a
   blank cell means "not given", as an omitted JSON key;
3. once every row's fields are valid (as the batch endpoint does), asks the room's service
   what refuses the set (a duplicate email, one already taken);
4. writes nothing on any error (every error comes back, keyed `rows.N.field`, data rows
   counted from 0) nor on a dry run; otherwise hands every row to the room's batch service in
   one call, which writes them (and their events) in one transaction.
"""

import datetime
from dataclasses import dataclass
from typing import Any, ClassVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.html import conditional_escape
from import_export import resources
from import_export.results import Error, RowResult

from core.errors import DomainValidationError

MAX_ROWS = 10_000
PREFIX = "rows"
TOO_MANY_ROWS = f"A file holds at most {MAX_ROWS} rows; this one has {{count}}."
NO_ROWS = "The file has a header row but no data rows."


class ImportRefusal(Exception):  # noqa: N818 - shown on the admin's preview as its message
    """A refusal of the file or of the set, for import-export's list of errors."""


class ImportFileError(DomainValidationError):
    """The file as a whole is refused (its header, its size): `{"file": "..."}`."""

    def __init__(self, message: str):
        super().__init__({"file": message})


@dataclass(frozen=True)
class ImportReport:
    dry_run: bool
    would_create: int
    created: list

    def as_data(self) -> dict:
        return {
            "dry_run": self.dry_run,
            "would_create": self.would_create,
            "created": len(self.created),
        }


def _first_message(detail: Any) -> str:
    while isinstance(detail, list | tuple) and detail:
        detail = detail[0]
    if isinstance(detail, dict) and detail:
        return _first_message(next(iter(detail.values())))
    return str(detail)


class ServiceResource(resources.ModelResource):
    """A django-import-export resource whose imports validate every row first and then write
    them all through the room's batch service (or write nothing).

    Subclasses set `serializer_class` (the API's input serializer for one record) and
    implement `service_check(records)` (errors that refuse the set, keyed `rows.N.field`;
    reads only) and `service_create(records)` (the batch service; returns what it created).
    Exports use the resource's `Meta.fields`, which subclasses set to the API's field names.
    """

    serializer_class: ClassVar[type]

    # --- the import both doors share ------------------------------------------------------

    def service_check(self, records: list[dict]) -> dict[str, str]:
        return {}

    def service_create(self, records: list[dict]) -> list:
        raise NotImplementedError

    def _serializer(self, **kwargs):
        return self.serializer_class(**kwargs)

    def _columns(self) -> tuple[set[str], set[str], list[str]]:
        fields = self._serializer().fields
        # The export's columns import back: those that are not input are ignored.
        known = set(fields) | set(self._meta.fields or ())
        writable = {name for name, field in fields.items() if not field.read_only}
        required = [name for name, field in fields.items() if field.required]
        return known, writable, required

    def check_header(self, header: list[str]) -> None:
        known, writable, required = self._columns()
        unknown = [name for name in header if name not in known]
        if unknown:
            raise ImportFileError(
                f"Unknown column(s): {', '.join(unknown)}. The header row holds the API's "
                f"field names: {', '.join(sorted(writable))}."
            )
        repeated = sorted({name for name in header if header.count(name) > 1})
        if repeated:
            raise ImportFileError(f"Column(s) named twice: {', '.join(repeated)}.")
        missing = [name for name in required if name not in header]
        if missing:
            raise ImportFileError(f"Missing column(s): {', '.join(missing)}.")

    def import_rows(
        self, *, header: list[str], rows: list[list[Any]], dry_run: bool
    ) -> ImportReport:
        """Validates every row and creates them all through the room's service, or raises
        `DomainValidationError` with every error (`rows.N.field`) and writes nothing. A dry
        run stops after validating."""
        self.check_header(header)
        if not rows:
            raise ImportFileError(NO_ROWS)
        if len(rows) > MAX_ROWS:
            raise ImportFileError(TOO_MANY_ROWS.format(count=len(rows)))
        _, writable, _ = self._columns()
        errors: dict[str, str] = {}
        records: list[dict] = []
        payloads: list[dict] = []
        for index, cells in enumerate(rows):
            if len(cells) != len(header):
                errors[f"{PREFIX}.{index}"] = (
                    f"The row has {len(cells)} cells; the header has {len(header)}."
                )
                payloads.append({})
                continue
            # A blank cell is "not given", like a key left out of a JSON body.
            payloads.append(
                {
                    name: value
                    for name, value in zip(header, cells, strict=True)
                    if name in writable and value not in (None, "")
                }
            )
        serializer = self._serializer(data=payloads, many=True)
        if not serializer.is_valid():
            found = serializer.errors
            # DRF lists a many=True serializer's errors by row index (a dict in recent
            # versions, a list with empty entries for valid rows in older ones).
            by_row = found.items() if isinstance(found, dict) else enumerate(found)
            for index, row_errors in by_row:
                if f"{PREFIX}.{index}" in errors:
                    continue  # a malformed row: its cells are not matched to fields
                for name, detail in (row_errors or {}).items():
                    errors.setdefault(f"{PREFIX}.{index}.{name}", _first_message(detail))
        if errors:
            raise DomainValidationError(errors)
        records = list(serializer.validated_data)
        errors = self.service_check(records)
        if errors:
            raise DomainValidationError(errors)
        if dry_run:
            return ImportReport(dry_run=True, would_create=len(records), created=[])
        created = self.service_create(records)
        return ImportReport(dry_run=False, would_create=len(records), created=created)

    # --- django-import-export's entry point (the admin) --------------------------------------

    def import_data(
        self,
        dataset,
        dry_run=False,
        raise_errors=False,
        use_transactions=None,
        collect_failed_rows=False,
        rollback_on_validation_errors=False,
        **kwargs,
    ):
        """import-export's import, done by `import_rows`: its preview (`dry_run=True`)
        validates without writing and lists every bad row and field; the confirmed import
        writes every row through the service or none. Rows are numbered as a spreadsheet
        shows them (the header is row 1), fields by their API names."""
        result = self.get_result_class()()
        header = [str(name).strip() for name in (dataset.headers or [])]
        result.diff_headers = header
        rows = [[_cell(value) for value in values] for values in dataset]
        try:
            report = self.import_rows(header=header, rows=rows, dry_run=dry_run)
        except ImportFileError as exc:
            result.append_base_error(Error(ImportRefusal(exc.errors["file"])))
            return result
        except DomainValidationError as exc:
            self._report_invalid(result, header, rows, exc.errors)
            return result
        for index, cells in enumerate(rows):
            row_result = self.get_row_result_class()()
            row_result.import_type = RowResult.IMPORT_TYPE_NEW
            row_result.row_values = dict(zip(header, cells, strict=False))
            row_result.diff = [conditional_escape(value) for value in cells]
            if report.created:
                instance = report.created[index]
                row_result.instance = instance
                row_result.object_id = instance.pk
                row_result.object_repr = str(instance)
            result.increment_row_result_total(row_result)
            result.append_row_result(row_result)
        return result

    def _report_invalid(self, result, header, rows, errors: dict[str, str]) -> None:
        by_row: dict[int, dict[str, list[str]]] = {}
        for path, message in errors.items():
            parts = path.split(".", 2)
            if parts[0] != PREFIX or len(parts) < 2 or not parts[1].isdigit():
                result.append_base_error(Error(ImportRefusal(f"{path}: {message}")))
                continue
            field = parts[2] if len(parts) == 3 else "__all__"
            by_row.setdefault(int(parts[1]), {}).setdefault(field, []).append(message)
        for index, field_errors in sorted(by_row.items()):
            row_result = self.get_row_result_class()()
            row_result.import_type = RowResult.IMPORT_TYPE_INVALID
            result.increment_row_result_total(row_result)
            result.append_invalid_row(
                number=index + 2,
                row=dict(zip(header, rows[index], strict=False)),
                validation_error=DjangoValidationError(field_errors),
            )


def _cell(value) -> Any:
    # XLSX cells arrive typed (numbers, dates, None); CSV cells as text.
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, datetime.datetime) and value.time() == datetime.time():
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
