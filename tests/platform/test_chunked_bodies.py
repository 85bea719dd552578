"""`Transfer-Encoding: chunked` request bodies (issue 13, item 10): read in full under gunicorn,
411 where the server cannot say where the body ends; never read as an empty body."""

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.celery_worker import database_url
from tests.factories import CustomerFactory, make_api_key
from tests.markers import requires_postgres

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def _gunicorn():
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url("default"),
        "SANDBOX_DATABASE_URL": database_url("sandbox"),
    }
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "gunicorn", "config.wsgi:application",
         "--workers", "1", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=20)


def _chunked_patch(port: int, path: str, raw_key: str, body: bytes) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        # An iterable body with encode_chunked: sent as chunks, no Content-Length header.
        chunks = iter([body[:7], body[7:]])
        conn.request(
            "PATCH",
            path,
            body=chunks,
            headers={"X-API-Key": raw_key, "Content-Type": "application/json"},
            encode_chunked=True,
        )
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


@requires_postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_chunked_patch_is_read_under_gunicorn():
    customer = CustomerFactory(account="Old Name")
    _, raw = make_api_key()

    with _gunicorn() as port:
        status, body = _chunked_patch(
            port, f"/api/v2/customers/{customer.pk}", raw, b'{"account": "New Name"}'
        )

    assert status == 200, body
    assert body["data"]["account"] == "New Name"
    customer.refresh_from_db()
    assert customer.account == "New Name"


@pytest.mark.django_db
def test_a_chunked_body_the_server_did_not_terminate_is_a_411(api):
    # Django's test client, like runserver's wsgiref, passes the raw stream without
    # `wsgi.input_terminated`: nothing tells where a chunked body ends.
    customer = CustomerFactory(account="Old Name")

    response = api.generic(
        "PATCH",
        f"/api/v2/customers/{customer.pk}",
        data=b'{"account": "New Name"}',
        content_type="application/json",
        HTTP_TRANSFER_ENCODING="chunked",
        CONTENT_LENGTH="",
    )

    assert response.status_code == 411
    assert response.json() == {
        "success": False,
        "message": "Length Required: send the body with a Content-Length header.",
    }
    customer.refresh_from_db()
    assert customer.account == "Old Name"
