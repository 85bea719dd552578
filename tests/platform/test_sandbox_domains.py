"""Sandbox isolation beyond customers: invoices (list, detail, search), the financial report,
and webhooks (a sandbox change is only ever delivered to sandbox endpoints, and the other way
round). Each scenario runs in both directions."""

import json
from contextlib import ExitStack
from datetime import date

import pytest

from billing.models import Invoice
from core.db import SANDBOX
from tests.factories import UserFactory
from tests.platform.conftest import sandbox_client
from tests.webhooks.receiver import Receiver
from users.models import User
from webhooks.models import Delivery, Endpoint, Event

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])

TODAY = date.today().isoformat()  # noqa: DTZ011 - the report's default period is "today"


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Runs the after-commit hooks (tasks: event delivery, roll-up refresh) of both databases
    at the end of the block, as a real commit would."""

    def runner():
        stack = ExitStack()
        stack.enter_context(django_capture_on_commit_callbacks(using="default", execute=True))
        stack.enter_context(django_capture_on_commit_callbacks(using=SANDBOX, execute=True))
        return stack

    return runner


def create_invoice(client, account: str, amount: str) -> dict:
    customer = client.post(
        "/api/v2/customers",
        {"account": account, "email": f"{account.lower().replace(' ', '')}@example.com"},
        format="json",
    ).json()["data"]
    response = client.post(
        "/api/v2/invoices",
        {
            "customer_id": customer["id"],
            "date": TODAY,
            "due_date": TODAY,
            "items": [{"description": "Work", "amount": amount, "qty": 1}],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()["data"]


def test_invoices_never_cross_between_live_and_sandbox(api, sandbox_api, run_on_commit):
    with run_on_commit():
        live = create_invoice(api, "Live Buyer", "100.00")
        sandbox = create_invoice(sandbox_api, "Sandbox Buyer", "250.00")

    assert Invoice.objects.using("default").count() == 1
    assert Invoice.objects.using("sandbox").count() == 1
    live_list = api.get("/api/v2/invoices").json()
    sandbox_list = sandbox_api.get("/api/v2/invoices").json()
    assert [i["amount"] for i in live_list["data"]] == [100.0]
    assert [i["amount"] for i in sandbox_list["data"]] == [250.0]
    # Each database numbers its own invoices: both sides start the year at 001.
    assert live["invoice_number"] == sandbox["invoice_number"]
    assert api.get(f"/api/v2/invoices/{live['id']}").json()["data"]["amount"] == 100.0
    assert sandbox_api.get(f"/api/v2/invoices/{sandbox['id']}").json()["data"]["amount"] == 250.0


def test_invoice_search_stays_on_its_side(api, sandbox_api, run_on_commit):
    with run_on_commit():
        create_invoice(api, "Live Buyer", "100.00")
        create_invoice(sandbox_api, "Sandbox Buyer", "250.00")

    live_hits = api.get("/api/v2/customers", {"search": "Buyer"}).json()["data"]
    sandbox_hits = sandbox_api.get("/api/v2/customers", {"search": "Buyer"}).json()["data"]

    assert [c["account"] for c in live_hits] == ["Live Buyer"]
    assert [c["account"] for c in sandbox_hits] == ["Sandbox Buyer"]


def test_financial_report_counts_only_its_own_database(api, sandbox_api, run_on_commit):
    with run_on_commit():
        create_invoice(api, "Live Buyer", "100.00")
        create_invoice(sandbox_api, "Sandbox Buyer", "250.00")

    live = api.get("/api/v2/reports/financial").json()["data"]
    sandbox = sandbox_api.get("/api/v2/reports/financial").json()["data"]

    assert live["outstanding_invoices"] == 100.0
    assert sandbox["outstanding_invoices"] == 250.0


def register(client, url: str) -> dict:
    response = client.post(
        "/api/v2/webhooks", {"url": url, "events": ["customer.created"]}, format="json"
    )
    assert response.status_code == 201, response.json()
    return response.json()["data"]


@pytest.fixture
def private_targets(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    settings.WEBHOOK_TIMEOUT = 2.0


def test_sandbox_events_reach_sandbox_endpoints_only(
    api, sandbox_api, private_targets, run_on_commit
):
    with Receiver() as live_receiver, Receiver() as sandbox_receiver:
        register(api, live_receiver.url)
        register(sandbox_api, sandbox_receiver.url)

        with run_on_commit():
            sandbox_api.post(
                "/api/v2/customers",
                {"account": "Sandbox Co", "email": "sb@example.com"},
                format="json",
            )

        received = sandbox_receiver.wait_for(1)
    assert live_receiver.requests == []
    assert [r.path for r in received] == ["/hooks"]
    assert json.loads(received[0].body)["data"]["email"] == "sb@example.com"
    assert Event.objects.using("default").count() == 0
    assert Delivery.objects.using("default").count() == 0
    assert Delivery.objects.using("sandbox").count() == 1


def test_live_events_reach_live_endpoints_only(api, sandbox_api, private_targets, run_on_commit):
    with Receiver() as live_receiver, Receiver() as sandbox_receiver:
        register(api, live_receiver.url)
        register(sandbox_api, sandbox_receiver.url)

        with run_on_commit():
            api.post(
                "/api/v2/customers",
                {"account": "Live Co", "email": "live@example.com"},
                format="json",
            )

        received = live_receiver.wait_for(1)
    assert sandbox_receiver.requests == []
    assert json.loads(received[0].body)["data"]["email"] == "live@example.com"
    assert Event.objects.using("sandbox").count() == 0
    assert Delivery.objects.using("sandbox").count() == 0


def test_webhook_endpoints_are_listed_on_their_own_side(api, sandbox_api, private_targets):
    register(api, "http://127.0.0.1:9/live")
    register(sandbox_api, "http://127.0.0.1:9/sandbox")

    live = [e["url"] for e in api.get("/api/v2/webhooks").json()["data"]]
    sandbox = [e["url"] for e in sandbox_api.get("/api/v2/webhooks").json()["data"]]

    assert live == ["http://127.0.0.1:9/live"]
    assert sandbox == ["http://127.0.0.1:9/sandbox"]


def test_sandbox_endpoint_owner_is_the_sandbox_mirror_user(private_targets):
    # Live users first, so the owner's live id cannot equal its sandbox mirror's id.
    UserFactory.create_batch(3)
    client = sandbox_client()
    live_owner = client.api_key.user

    created = register(client, "http://127.0.0.1:9/sandbox")

    mirror = User.objects.using("sandbox").get(email=live_owner.email)
    endpoint = Endpoint.objects.using("sandbox").get(pk=created["id"])
    assert mirror.pk != live_owner.pk
    assert endpoint.owner_id == mirror.pk
