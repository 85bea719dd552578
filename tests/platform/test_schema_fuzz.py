"""schemathesis against /api/v2/schema with an administrator key, in-process (WSGI).

`make test` runs a small budget. A larger run by hand (docs/operations.md):

    SCHEMATHESIS_MAX_EXAMPLES=200 .venv/bin/pytest tests/platform/test_schema_fuzz.py -q

Checks: no server error, every status code / content type / required header documented, and
every response body valid against its schema.
"""

import os
import socket

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from tests.factories import make_api_key

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "5"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture(scope="session")
def api_schema(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        return schemathesis.openapi.from_wsgi("/api/v2/schema", application)


LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


@pytest.fixture(autouse=True)
def _no_outbound_network(monkeypatch):
    """Fuzzed webhook URLs must never make this machine talk to the outside world: name
    lookups and connections are refused unless they stay on loopback (Redis, PostgreSQL)."""
    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.socket.connect

    def local_getaddrinfo(host, *args, **kwargs):
        if str(host) not in LOCAL_HOSTS and not str(host).startswith("127."):
            raise socket.gaierror(socket.EAI_NONAME, "outbound lookups disabled in fuzzing")
        return real_getaddrinfo(host, *args, **kwargs)

    def local_connect(sock, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(address, tuple) and host not in LOCAL_HOSTS and not host.startswith("127."):
            raise ConnectionRefusedError("outbound connections disabled in fuzzing")
        return real_connect(sock, address)

    monkeypatch.setattr(socket, "getaddrinfo", local_getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", local_connect)


@pytest.fixture(autouse=True)
def _keep_test_connections_open():
    """Requests go through the real WSGI handler, whose end-of-request hook would close the
    test's database connection (it is inside the test transaction): detach the hook, as
    Django's own test client does."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def admin_headers(db, settings):
    # Fuzzing sends far more requests than a real key's hourly budget.
    settings.API_RATE_LIMIT = "1000000/h"
    _, raw = make_api_key(role="administrator")
    return {"Authorization": f"Bearer {raw}"}


@pytest.mark.slow
@pytest.mark.django_db(databases=["default", "sandbox"])
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_matches_its_schema(case, admin_headers):
    # Each example starts from the same state: on PostgreSQL, one refused statement would
    # otherwise poison the test transaction for every later example.
    savepoint = transaction.savepoint()
    try:
        case.call_and_validate(headers=admin_headers, checks=CHECKS)
    finally:
        transaction.savepoint_rollback(savepoint)
