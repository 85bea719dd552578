"""A typed Python client generated from the served schema by openapi-python-client works
unchanged: customer → account → invoice → payment → webhook endpoint → test delivery → the
endpoint's deliveries, every response parsing into the generated models.

The generator lives in a throwaway virtualenv (it pins its own httpx, attrs, ruff…), built once
per session; without the package index the test is skipped with the reason."""

import json
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.factories import make_api_key

GENERATOR = "openapi-python-client==0.29.1"
PACKAGE = "ledgerline_client"

DRIVER = f"""
import sys
from datetime import date, timedelta

from {PACKAGE} import AuthenticatedClient
from {PACKAGE}.api.accounts import accounts_create
from {PACKAGE}.api.customers import customers_create
from {PACKAGE}.api.invoices import invoices_create, invoices_payments_create
from {PACKAGE}.api.webhooks import (
    webhooks_create,
    webhooks_deliveries_list,
    webhooks_test_create,
)
from {PACKAGE}.models import (
    AccountRequest,
    CustomerRequest,
    EndpointRequest,
    InvoiceInputRequest,
    PaymentInputRequest,
)

base_url, token = sys.argv[1:3]
client = AuthenticatedClient(base_url=base_url, token=token, raise_on_unexpected_status=True)


def data(response, status):
    assert response.status_code == status, (response.status_code, response.content)
    parsed = response.parsed
    assert parsed is not None and parsed.success is True, response.content
    return parsed.data


today = date.today()
customer = data(
    customers_create.sync_detailed(
        client=client,
        body=CustomerRequest.from_dict({{"account": "Acme", "email": "acme@example.com"}}),
    ),
    201,
)
account = data(
    accounts_create.sync_detailed(
        client=client, body=AccountRequest.from_dict({{"name": "Bank", "currency": "USD"}})
    ),
    201,
)
invoice = data(
    invoices_create.sync_detailed(
        client=client,
        body=InvoiceInputRequest.from_dict(
            {{
                "customer_id": customer.id,
                "date": today.isoformat(),
                "due_date": (today + timedelta(days=30)).isoformat(),
                "items": [{{"description": "Work", "amount": 100, "qty": 2}}],
            }}
        ),
    ),
    201,
)
payment = data(
    invoices_payments_create.sync_detailed(
        invoice.id,
        client=client,
        body=PaymentInputRequest.from_dict(
            {{"amount": 50, "date": today.isoformat(), "account_id": account.id}}
        ),
    ),
    201,
)
endpoint = data(
    webhooks_create.sync_detailed(
        client=client,
        body=EndpointRequest.from_dict(
            {{"url": "http://127.0.0.1:9/hook", "events": ["payment.received"]}}
        ),
    ),
    201,
)
assert endpoint.secret.startswith("whsec_"), endpoint.secret
delivery = data(webhooks_test_create.sync_detailed(endpoint.id, client=client), 202)
deliveries = data(webhooks_deliveries_list.sync_detailed(endpoint.id, client=client), 200)
assert [d.id for d in deliveries] == [delivery.id], deliveries
assert invoice.amount == 200 and payment.amount == 50
print("OK", customer.id, invoice.id, payment.id, endpoint.id, delivery.id)
"""


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - fixed tools in our own throwaway venv
        args, capture_output=True, text=True, timeout=600, check=False, **kwargs
    )


@pytest.fixture(scope="session")
def generator_python(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("openapi-python-client")
    python = home / "venv" / "bin" / "python"
    uv = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
    if Path(uv).exists():
        made = _run([uv, "venv", "-q", "--python", sys.executable, str(home / "venv")])
        installed = made.returncode == 0 and (
            _run([uv, "pip", "install", "-q", "--python", str(python), GENERATOR]).returncode == 0
        )
    else:
        venv.create(home / "venv", with_pip=True)
        installed = _run([str(python), "-m", "pip", "install", "-q", GENERATOR]).returncode == 0
    if not installed:
        pytest.skip(f"could not install {GENERATOR} (offline?)")
    return python


@pytest.fixture
def generated_client(generator_python, tmp_path, django_db_blocker) -> Path:
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        schema = APIClient().get("/api/v2/schema").json()
    (tmp_path / "schema.json").write_text(json.dumps(schema))
    (tmp_path / "config.json").write_text(
        json.dumps(
            {
                "package_name_override": PACKAGE,
                "post_hooks": [],
                # The generator has no PDF type; a PDF is bytes like any other file.
                "content_type_overrides": {"application/pdf": "application/octet-stream"},
            }
        )
    )
    generator = generator_python.with_name("openapi-python-client")

    result = _run(
        [str(generator), "generate", "--path", "schema.json", "--config", "config.json"]
        + ["--meta", "none", "--output-path", PACKAGE, "--fail-on-warning"],
        cwd=tmp_path,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    return tmp_path


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, databases=["default", "sandbox"])
def test_a_generated_python_client_drives_billing_and_webhooks(
    generated_client, generator_python, live_server, settings
):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    _, raw = make_api_key(role="administrator")
    (generated_client / "driver.py").write_text(DRIVER)

    result = _run([str(generator_python), "driver.py", live_server.url, raw], cwd=generated_client)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK ")
