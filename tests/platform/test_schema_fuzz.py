"""schemathesis against /api/v2/schema with an administrator key, in-process (WSGI), in all
its phases: explicit examples, coverage and fuzzing per operation (`test_api_matches_its_schema`)
and stateful sequences that follow the schema's links (`test_api_holds_across_call_sequences`).

`make test` runs the CI budget (5 examples per operation, 10 sequences per family). The run by
hand before an issue closes (docs/api-platform.md), 200 of each:

    FUZZ_EXAMPLES=200 .venv/bin/pytest tests/platform/test_schema_fuzz.py -q

(`SCHEMATHESIS_MAX_EXAMPLES` / `SCHEMATHESIS_STATEFUL_EXAMPLES` set one phase on its own.)
Every operation is in every phase: `test_every_operation_is_fuzzed_in_every_phase` fails when one
is not (an operation added later falls into the stateful family "rest" until it joins one).

Checks: no server error, every status code / content type / required header documented, every
response body valid against its schema, and schema-invalid input refused; in sequences also a
created resource readable and a deleted one gone.
"""

import os
import re
import socket

import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.db import DatabaseError, close_old_connections, transaction
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ensure_resource_availability,
    missing_required_header,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
    use_after_free,
)

from config.wsgi import application
from tests.factories import make_api_key

FUZZ_EXAMPLES = os.environ.get("FUZZ_EXAMPLES")
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES") or FUZZ_EXAMPLES or "5")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    # Schema-invalid input is refused: the schema states the server's limits (issue #14).
    negative_data_rejection,
]

schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture(scope="session")
def api_schema(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        loaded = schemathesis.openapi.from_wsgi("/api/v2/schema", application)
    # The key is ours (admin_headers), never generated: a generated, invalid key header that the
    # transport then replaces would count as schema-invalid input the server "accepted".
    #
    # Unknown query parameters are ignored, not refused (docs/api.md: `?_=` cache busters and
    # clients a version ahead keep working), which OpenAPI cannot state: so an undeclared
    # parameter is not counted as schema-invalid input (the 200-example run flagged
    # `GET /audit-events?=null` answered 200).
    loaded.config.generation.update(with_security_parameters=False, allow_extra_parameters=False)
    return loaded


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
        # The key goes on the case itself, replacing whatever key headers were generated, so
        # that negative_data_rejection judges what was really sent (a generated, invalid key
        # header that the transport then overrode is not schema-invalid input the server took).
        generated = {
            name: value
            for name, value in (case.headers or {}).items()
            if name.lower() not in ("authorization", "x-api-key")
        }
        case.headers = {**generated, **admin_headers}
        case.call_and_validate(checks=CHECKS)
    finally:
        _rollback_to(savepoint)


def _rollback_to(savepoint) -> None:
    transaction.savepoint_rollback(savepoint)
    # Release it too (as Django's atomic() does): a savepoint survives ROLLBACK TO, so each
    # example would otherwise nest one level deeper, and a write thousands of levels down takes
    # a lock per level (PostgreSQL ran out of lock slots, ~6,400, at 200 examples).
    transaction.savepoint_commit(savepoint)


STATEFUL_EXAMPLES = int(os.environ.get("SCHEMATHESIS_STATEFUL_EXAMPLES") or FUZZ_EXAMPLES or "10")
# The stateless checks, schema-invalid input refused, and the stateful ones: a resource just
# created is readable, a deleted one is gone for good. Left out: `ignored_auth` (it mistakes the
# key passed here for one schemathesis generated; auth has its own tests in tests/api) and
# `positive_data_acceptance` (a schema-valid body can still break a business rule, e.g. a
# password Django's validators refuse or an unknown customer id, and that is a 400 here).
STATEFUL_CHECKS = [
    *CHECKS,
    missing_required_header,
    unsupported_method,
    use_after_free,
    ensure_resource_availability,
]


# One state machine per family of resources that refer to each other: on the whole API, a
# scenario of a few steps rarely picks two related operations in a row.
FAMILIES = {
    "customers": r"^/api/v2/(customers|batch/customers)",
    "billing": r"^/api/v2/(customers|products|invoices|quotes|accounts|credit-notes|emails)",
    "ledger": r"^/api/v2/(accounts|categories|transactions|transfers)",
    "support": r"^/api/v2/(customers|departments|tickets|leads)",
    "platform": r"^/api/v2/(users|webhooks|deliveries)",
    # Every operation no family above takes (reports, books, audit, events, imports, the
    # index, and whatever is added later), so the stateful phase leaves none out.
    "rest": None,
}


def _family_regex(schema, family: str) -> str:
    pattern = FAMILIES[family]
    if pattern is not None:
        return pattern
    taken = [re.compile(p) for p in FAMILIES.values() if p is not None]
    left = sorted(
        {op.path for op in _operations(schema) if not any(regex.search(op.path) for regex in taken)}
    )
    return "^(" + "|".join(re.escape(path) for path in left) + ")$"


def _operations(schema) -> list:
    return [result.ok() for result in schema.get_all_operations()]


@pytest.mark.django_db
def test_every_operation_is_fuzzed_in_every_phase(api_schema):
    """The CI budget covers the whole API: examples, coverage and fuzzing for each operation,
    and each operation in the stateful phase's families."""
    operations = _operations(api_schema)
    assert len(operations) >= 100
    for op in operations:
        phases = api_schema.config.phases_for(operation=op)
        assert [phases.examples.enabled, phases.coverage.enabled, phases.fuzzing.enabled] == [
            True,
            True,
            True,
        ], op.label
    assert api_schema.config.phases.stateful.enabled
    regexes = [re.compile(_family_regex(api_schema, family)) for family in FAMILIES]
    missing = [op.label for op in operations if not any(r.search(op.path) for r in regexes)]
    assert missing == []


@pytest.mark.slow
@pytest.mark.django_db(databases=["default", "sandbox"])
@pytest.mark.parametrize("family", FAMILIES)
def test_api_holds_across_call_sequences(api_schema, admin_headers, family):
    """The stateful phase: schemathesis follows the schema's links (api/schema.py) to run
    sequences like create customer → create invoice for it → record a payment → void it, on the
    ids the API gave back, with its stateful checks on top.

    Each sequence starts from the same database state (a savepoint, rolled back at its end), so
    Hypothesis can replay and shrink a failing one; within it, each request's writes are kept
    (released savepoint) unless it left the transaction aborted."""
    machine = api_schema.include(path_regex=_family_regex(api_schema, family)).as_state_machine()

    class Machine(machine):
        def setup(self):
            # Idempotency records and ETags live in the cache: a replay must find none.
            cache.clear()
            self.scenario = transaction.savepoint()

        def teardown(self):
            _rollback_to(self.scenario)

        def call(self, case, **kwargs):
            step = transaction.savepoint()
            try:
                return super().call(case, **kwargs)
            finally:
                try:
                    transaction.savepoint_commit(step)
                except DatabaseError:  # the request left the transaction aborted
                    _rollback_to(step)

        def get_call_kwargs(self, case):
            return {"headers": admin_headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            # The recorder holds the scenario's earlier steps, which the stateful checks read.
            case.validate_response(
                response,
                checks=STATEFUL_CHECKS,
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    Machine.run(
        settings=settings(
            max_examples=STATEFUL_EXAMPLES,
            stateful_step_count=8,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
    )
