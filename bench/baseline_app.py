"""The baseline the scale benchmarks compare Ledgerline against: a minimal WSGI app, psycopg
and orjson, serving the same pages from the same tables with the same SQL shape (count, then
a LIMIT/OFFSET page; items of the page's invoices in one more query). No framework, no
authentication, no rate limiting, no usage counting: what a hand-written endpoint would cost.

    DATABASE_URL=postgres://... gunicorn -w 3 -b 127.0.0.1:8112 bench.baseline_app:application
"""

from __future__ import annotations

import math
import os
from decimal import Decimal
from urllib.parse import parse_qs

import orjson
import psycopg

_conn: psycopg.Connection | None = None

CUSTOMER_COLUMNS = (
    "id, account, email, phone, address, city, state, zip, country, created_at, updated_at"
)
CUSTOMER_KEYS = CUSTOMER_COLUMNS.split(", ")
# The same predicate Ledgerline runs (customers.filters: the stored, lower-cased search_text).
SEARCH_WHERE = "WHERE search_text LIKE LOWER(%(q)s)"


def _db() -> psycopg.Connection:
    # One connection per worker process, opened lazily after gunicorn forks.
    global _conn
    if _conn is None or _conn.closed:
        _conn = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
    return _conn


def _default(value):
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError


def _number(value: Decimal):
    return int(value) if value == value.to_integral_value() else float(value)


def _json(start_response, status: str, body) -> list[bytes]:
    payload = orjson.dumps(body, default=_default, option=orjson.OPT_UTC_Z)
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
    )
    return [payload]


def _page_args(query: dict) -> tuple[int, int]:
    page = int(query.get("page", ["1"])[0])
    limit = min(int(query.get("limit", ["20"])[0]), 100)
    return page, limit


def _envelope(rows: list, page: int, limit: int, total: int) -> dict:
    return {
        "success": True,
        "data": rows,
        "meta": {
            "current_page": page,
            "total_pages": math.ceil(total / limit),
            "total_records": total,
        },
    }


def customers(query: dict) -> dict:
    page, limit = _page_args(query)
    search = query.get("search", [""])[0]
    where, params = ("", {})
    if search:
        where, params = SEARCH_WHERE, {"q": f"%{search}%"}
    with _db().cursor() as cur:
        total = cur.execute(
            f"SELECT count(*) FROM customers_customer {where}",  # noqa: S608
            params,
        ).fetchone()[0]
        rows = cur.execute(
            f"SELECT {CUSTOMER_COLUMNS} FROM customers_customer {where} "  # noqa: S608
            "ORDER BY id LIMIT %(limit)s OFFSET %(offset)s",
            {**params, "limit": limit, "offset": (page - 1) * limit},
        ).fetchall()
    data = [dict(zip(CUSTOMER_KEYS, row, strict=True)) for row in rows]
    return _envelope(data, page, limit, total)


def invoices(query: dict) -> dict:
    page, limit = _page_args(query)
    with _db().cursor() as cur:
        total = cur.execute("SELECT count(*) FROM billing_invoice").fetchone()[0]
        rows = cur.execute(
            "SELECT id, invoice_number, customer_id, date, due_date, status, subtotal, discount, "
            "tax, total, amount_paid, balance_due, notes, created_at, updated_at "
            "FROM billing_invoice ORDER BY date DESC, id DESC LIMIT %s OFFSET %s",
            [limit, (page - 1) * limit],
        ).fetchall()
        ids = [row[0] for row in rows]
        items: dict[int, list] = {pk: [] for pk in ids}
        for item in cur.execute(
            "SELECT invoice_id, id, product_id, description, amount, qty, tax_rate, "
            "line_subtotal, line_tax FROM billing_invoiceitem WHERE invoice_id = ANY(%s) "
            "ORDER BY position, id",
            [ids],
        ):
            items[item[0]].append(
                {
                    "id": item[1],
                    "product_id": item[2],
                    "description": item[3],
                    "amount": item[4],
                    "qty": _number(item[5]),
                    "tax_rate": _number(item[6]),
                    "subtotal": item[7],
                    "tax": item[8],
                    "total": item[7] + item[8],
                }
            )
    data = [
        {
            "id": r[0],
            "invoice_number": r[1],
            "customer_id": r[2],
            "date": r[3],
            "due_date": r[4],
            "status": r[5],
            "items": items[r[0]],
            "subtotal": r[6],
            "discount": r[7],
            "tax": r[8],
            "amount": r[9],
            "amount_paid": r[10],
            "balance_due": r[11],
            "notes": r[12],
            "created_at": r[13],
            "updated_at": r[14],
        }
        for r in rows
    ]
    return _envelope(data, page, limit, total)


def financial(query: dict) -> dict:
    year = query.get("year", [""])[0]
    where, params = "", []
    if year:
        where, params = (
            "WHERE month >= %s AND month < %s",
            [f"{year}-01-01", f"{int(year) + 1}-01-01"],
        )
    with _db().cursor() as cur:
        income, expenses, outstanding = cur.execute(
            f"SELECT SUM(income), SUM(expenses), SUM(outstanding) "  # noqa: S608
            f"FROM reporting_rollupmonth {where}",
            params,
        ).fetchone()
    income, expenses, outstanding = (v or Decimal(0) for v in (income, expenses, outstanding))
    return {
        "success": True,
        "data": {
            "income": income,
            "expenses": expenses,
            "profit": income - expenses,
            "outstanding_invoices": outstanding,
        },
    }


def batch_customers(body: bytes) -> dict:
    records = orjson.loads(body)["customers"]
    columns = ["account", "email", "phone", "address", "city", "state", "zip", "country"]
    arrays = [[(r.get(c) or "").strip() for r in records] for c in columns]
    arrays[1] = [e.lower() for e in arrays[1]]
    with _db().cursor() as cur:
        rows = cur.execute(
            # The same row Django writes: the columns later migrations added get the model's
            # defaults (no credit, reminders on, the base currency).
            f"INSERT INTO customers_customer ({', '.join(columns)}, credit_balance, "  # noqa: S608
            "reminders_enabled, currency, created_at, updated_at) "
            "SELECT *, 0, true, 'USD', now(), now() FROM unnest(%s::text[], %s::text[], "
            "%s::text[], %s::text[], "
            f"%s::text[], %s::text[], %s::text[], %s::text[]) RETURNING {CUSTOMER_COLUMNS}",
            arrays,
        ).fetchall()
    return {"success": True, "data": [dict(zip(CUSTOMER_KEYS, r, strict=True)) for r in rows]}


GET_ROUTES = {
    "/api/v2/customers": customers,
    "/api/v2/invoices": invoices,
    "/api/v2/reports/financial": financial,
}


def application(environ, start_response):
    path = environ.get("PATH_INFO", "").rstrip("/")
    if path == "/health":
        return _json(start_response, "200 OK", {"status": "ok"})
    if environ["REQUEST_METHOD"] == "POST" and path == "/api/v2/batch/customers":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        return _json(start_response, "201 Created", batch_customers(body))
    handler = GET_ROUTES.get(path)
    if handler is None:
        return _json(start_response, "404 Not Found", {"success": False, "message": "Not found"})
    query = parse_qs(environ.get("QUERY_STRING", ""))
    return _json(start_response, "200 OK", handler(query))
