"""Contract section 6: a sandbox key works on the sandbox database only, a live key on live
data only, in both directions; `sandbox.` hosts take sandbox keys only."""

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from core.db import SANDBOX, using_alias
from customers.models import Customer
from tests.factories import CustomerFactory, UserFactory, make_api_key
from tests.platform.conftest import sandbox_client
from users.models import ApiKeyUsage, Role, User

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


def sandbox_customer(**kwargs) -> Customer:
    with using_alias(SANDBOX):
        return CustomerFactory(**kwargs)


def test_customer_created_with_sandbox_key_lives_in_sandbox_db_only(sandbox_api):
    response = sandbox_api.post(
        "/api/v2/customers", {"account": "Sandy", "email": "sandy@example.com"}, format="json"
    )

    assert response.status_code == 201
    assert Customer.objects.using("sandbox").filter(email="sandy@example.com").count() == 1
    assert Customer.objects.using("default").filter(email="sandy@example.com").count() == 0


def test_customer_created_with_live_key_lives_in_live_db_only(api):
    response = api.post(
        "/api/v2/customers", {"account": "Liv", "email": "liv@example.com"}, format="json"
    )

    assert response.status_code == 201
    assert Customer.objects.using("default").filter(email="liv@example.com").count() == 1
    assert Customer.objects.using("sandbox").filter(email="liv@example.com").count() == 0


def test_sandbox_list_shows_no_live_rows(api, sandbox_api):
    CustomerFactory(account="Live Co", email="live@example.com")
    sandbox_customer(account="Sandbox Co", email="sb@example.com")

    sandbox_rows = sandbox_api.get("/api/v2/customers").json()
    live_rows = api.get("/api/v2/customers").json()

    assert [c["account"] for c in sandbox_rows["data"]] == ["Sandbox Co"]
    assert sandbox_rows["meta"]["total_records"] == 1
    assert [c["account"] for c in live_rows["data"]] == ["Live Co"]
    assert live_rows["meta"]["total_records"] == 1


def test_sandbox_key_cannot_read_live_detail(sandbox_api):
    live = CustomerFactory(email="live@example.com")
    # Make sure the id is not taken in the sandbox by chance.
    assert not Customer.objects.using("sandbox").filter(pk=live.pk).exists()

    response = sandbox_api.get(f"/api/v2/customers/{live.pk}")

    assert response.status_code == 404


def test_live_key_cannot_read_sandbox_detail(api):
    sandbox = sandbox_customer(email="sb@example.com")
    assert not Customer.objects.using("default").filter(pk=sandbox.pk).exists()

    response = api.get(f"/api/v2/customers/{sandbox.pk}")

    assert response.status_code == 404


def test_same_id_in_both_databases_shows_each_side_its_own_row(api, sandbox_api):
    # Each database has its own id sequence, so the same id exists on both sides.
    live = CustomerFactory(pk=4242, account="Live Twin", email="live@example.com")
    twin = sandbox_customer(pk=4242, account="Sandbox Twin", email="sb@example.com")

    assert api.get(f"/api/v2/customers/{live.pk}").json()["data"]["account"] == "Live Twin"
    assert sandbox_api.get(f"/api/v2/customers/{twin.pk}").json()["data"]["account"] == (
        "Sandbox Twin"
    )


def test_search_never_crosses_databases(api, sandbox_api):
    CustomerFactory(account="Zebra Live", email="zl@example.com")
    sandbox_customer(account="Zebra Sandbox", email="zs@example.com")

    live_hits = api.get("/api/v2/customers", {"search": "Zebra"}).json()["data"]
    sandbox_hits = sandbox_api.get("/api/v2/customers", {"search": "Zebra"}).json()["data"]

    assert [c["account"] for c in live_hits] == ["Zebra Live"]
    assert [c["account"] for c in sandbox_hits] == ["Zebra Sandbox"]


def test_sandbox_update_and_delete_leave_live_twin_untouched(api, sandbox_api):
    live = CustomerFactory(pk=4243, account="Live Twin", email="live@example.com")
    twin = sandbox_customer(pk=4243, account="Sandbox Twin", email="sb@example.com")

    patched = sandbox_api.patch(f"/api/v2/customers/{twin.pk}", {"account": "Renamed"})
    deleted = sandbox_api.delete(f"/api/v2/customers/{twin.pk}")

    assert patched.status_code == 200
    assert deleted.status_code == 200
    live.refresh_from_db()
    assert live.account == "Live Twin"
    assert not Customer.objects.using("sandbox").filter(pk=twin.pk).exists()


@pytest.fixture
def sandbox_host(settings):
    settings.ALLOWED_HOSTS = ["testserver", "sandbox.ledger.test", "ledger.test"]
    return "sandbox.ledger.test"


def test_sandbox_host_refuses_live_key(api, sandbox_host):
    response = api.get("/api/v2/customers", HTTP_HOST=sandbox_host)

    assert response.status_code == 401
    assert response.json() == {
        "success": False,
        "message": "Invalid API key or unauthorized access",
    }


def test_sandbox_host_accepts_sandbox_key(sandbox_api, sandbox_host):
    sandbox_customer(account="Sandbox Co", email="sb@example.com")

    response = sandbox_api.get("/api/v2/customers", HTTP_HOST=sandbox_host)

    assert response.status_code == 200
    assert [c["account"] for c in response.json()["data"]] == ["Sandbox Co"]


def test_sandbox_key_on_live_host_still_reads_sandbox(sandbox_api, settings):
    settings.ALLOWED_HOSTS = ["ledger.test"]
    CustomerFactory(account="Live Co", email="live@example.com")

    response = sandbox_api.get("/api/v2/customers", HTTP_HOST="ledger.test")

    assert response.json()["data"] == []


def test_sandbox_request_acts_as_the_sandbox_mirror_of_its_owner():
    # The users endpoint of a sandbox key lists the sandbox's users table, and "yourself" is
    # the mirror row there: deleting it is refused exactly as for a live user. (Live users
    # first, so the owner's live id differs from its mirror's.)
    UserFactory.create_batch(2)
    sandbox_api = sandbox_client()
    owner_email = sandbox_api.api_key.user.email
    mirror = User.objects.using("sandbox").get(email=owner_email)
    assert mirror.pk != sandbox_api.api_key.user.pk

    listed = sandbox_api.get("/api/v2/users").json()["data"]
    response = sandbox_api.delete(f"/api/v2/users/{mirror.pk}")

    assert [u["email"] for u in listed] == [owner_email]
    assert response.status_code == 409
    assert response.json()["message"] == "You cannot delete your own user."
    assert User.objects.using("sandbox").filter(pk=mirror.pk).exists()


def test_missing_sandbox_mirror_is_recreated_on_first_request():
    key, raw = make_api_key(role=Role.STAFF, is_sandbox=True)
    assert not User.objects.using("sandbox").filter(email=key.user.email).exists()

    response = APIClient().get("/api/v2/customers", HTTP_X_API_KEY=raw)

    assert response.status_code == 200
    mirror = User.objects.using("sandbox").get(email=key.user.email)
    assert (mirror.role, mirror.name) == (Role.STAFF, key.user.name)


def test_sandbox_mirror_follows_a_role_change_of_the_live_owner():
    client = sandbox_client(role=Role.ADMINISTRATOR)
    owner = client.api_key.user
    owner.role = Role.VIEWER
    owner.save(update_fields=["role"])

    response = client.post(
        "/api/v2/customers", {"account": "X", "email": "x@example.com"}, format="json"
    )

    assert response.status_code == 403
    assert User.objects.using("sandbox").get(email=owner.email).role == Role.VIEWER
    assert not Customer.objects.using("sandbox").exists()


def test_keys_and_usage_of_sandbox_requests_stay_in_the_live_db(sandbox_api):
    sandbox_api.get("/api/v2/customers")

    key_pk = sandbox_api.api_key.pk
    assert ApiKeyUsage.objects.using("default").get(api_key_id=key_pk).count_2xx == 1
    assert not ApiKeyUsage.objects.using("sandbox").exists()
    assert not User.objects.using("sandbox").filter(api_keys__isnull=False).exists()


def test_create_api_key_sandbox_mirrors_the_user(capsys):
    call_command("create_api_key", "--email", "dev@example.com", "--role", "staff", "--sandbox")

    out = capsys.readouterr().out.strip().splitlines()
    raw = out[-1]
    assert raw.startswith("ll_test_")
    mirror = User.objects.using("sandbox").get(email="dev@example.com")
    assert mirror.role == Role.STAFF
    assert APIClient().get("/api/v2/customers", HTTP_X_API_KEY=raw).status_code == 200
