"""Ops commands (contract section 2): safe to re-run, with progress and a summary."""

import io
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from billing.models import Product
from customers.models import Customer
from tests.billing.factories import ProductFactory
from users.models import ApiKey, User
from users.services import hash_key

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


def run(*args) -> list[str]:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().strip().splitlines()


def test_seed_demo_reports_progress_per_app_and_a_summary():
    lines = run("seed_demo")

    assert lines[0].startswith("[1/")
    assert any(line.startswith("[2/") and line.endswith("s)") for line in lines)
    assert lines[-1].startswith("Demo data ready (small) in 'default':")


def test_seed_demo_twice_duplicates_nothing():
    run("seed_demo")
    customers = Customer.objects.count()

    run("seed_demo")

    assert Customer.objects.count() == customers


def test_seed_demo_into_the_sandbox_leaves_live_empty():
    run("seed_demo", "--database", "sandbox")

    assert Customer.objects.using("sandbox").count() > 0
    assert Customer.objects.using("default").count() == 0


def test_seed_demo_refuses_an_unknown_database():
    with pytest.raises(CommandError, match="--database: unknown database 'nope'"):
        run("seed_demo", "--database", "nope")


@pytest.mark.parametrize("extra", [[], ["--sandbox"], ["--signed"], ["--sandbox", "--signed"]])
def test_create_api_key_prints_the_raw_key_alone_on_the_last_line(extra):
    lines = run("create_api_key", "--email", "ops@example.com", "--role", "viewer", *extra)

    raw = lines[-1]
    key = ApiKey.objects.get(key_hash=hash_key(raw))
    assert raw.strip() == raw and " " not in raw
    assert key.is_sandbox is ("--sandbox" in extra)
    assert key.require_signature is ("--signed" in extra)
    assert raw not in "\n".join(lines[:-1])


# --- Argument checks: one line, non-zero exit, nothing created --------------------------------


@pytest.mark.parametrize("command", ["create_api_key", "ensure_admin"])
def test_an_invalid_email_is_refused_and_creates_no_user(command):
    with pytest.raises(CommandError, match="--email: 'not-an-email' is not a valid email"):
        run(command, "--email", "not-an-email")

    assert not User.objects.exists()
    assert not ApiKey.objects.exists()


@pytest.mark.parametrize(
    "command", ["deliver_webhooks", "aggregate_reports", "seed_demo", "prune_webhook_attempts"]
)
def test_an_unknown_database_is_refused(command):
    extra = ["--days", "1"] if command == "prune_webhook_attempts" else []

    with pytest.raises(CommandError, match="--database: unknown database 'nope'"):
        run(command, "--database", "nope", *extra)


def test_a_refused_argument_ends_with_one_line_and_exit_status_1():
    result = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", "deliver_webhooks", "--database", "nope"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "CommandError: --database: unknown database 'nope' (known: default, sandbox)."
    ]


# --- make run, again and again -----------------------------------------------------------------


def test_seed_demo_survives_a_user_product_named_like_a_demo_one():
    run("seed_demo")
    ProductFactory(name="Web Hosting")

    lines = run("seed_demo")

    assert lines[-1].startswith("Demo data ready")
    assert Product.objects.filter(name="Web Hosting").count() == 2


def test_ensure_admin_keeps_a_password_changed_since():
    run("ensure_admin", "--email", "owner@ledgerline.local")
    admin = User.objects.get(email="owner@ledgerline.local")
    admin.set_password("changed-in-the-admin-42")
    admin.save()

    lines = run("ensure_admin", "--email", "owner@ledgerline.local")

    admin.refresh_from_db()
    assert admin.check_password("changed-in-the-admin-42")
    assert "password unchanged" in lines[-1]


def test_ensure_admin_reset_password_sets_and_prints_a_new_one():
    run("ensure_admin", "--email", "owner@ledgerline.local", "--password", "first-pass-987")

    lines = run("ensure_admin", "--email", "owner@ledgerline.local", "--reset-password")

    password = lines[-1].rsplit(" / ", 1)[1]
    assert User.objects.get(email="owner@ledgerline.local").check_password(password)
    assert password != "first-pass-987"


def test_create_api_key_replace_leaves_one_usable_key_of_that_name():
    first = run("create_api_key", "--email", "owner@ledgerline.local", "--name", "make run")[-1]

    second = run(
        "create_api_key", "--email", "owner@ledgerline.local", "--name", "make run", "--replace"
    )[-1]

    usable = [k for k in ApiKey.objects.filter(name="make run") if k.is_usable()]
    assert [k.key_hash for k in usable] == [hash_key(second)]
    assert ApiKey.objects.get(key_hash=hash_key(first)).revoked_at is not None


def test_create_api_key_replace_leaves_other_keys_alone():
    other = run("create_api_key", "--email", "owner@ledgerline.local", "--name", "ci")[-1]

    run("create_api_key", "--email", "owner@ledgerline.local", "--name", "make run", "--replace")

    assert ApiKey.objects.get(key_hash=hash_key(other)).is_usable()


def test_local_setup_twice_leaves_one_usable_make_run_key_and_the_password():
    run("local_setup")
    admin = User.objects.get(email="owner@ledgerline.local")
    admin.set_password("changed-in-the-admin-42")
    admin.save()

    lines = run("local_setup")

    admin.refresh_from_db()
    usable = [k for k in ApiKey.objects.filter(name="make run") if k.is_usable()]
    assert [k.key_hash for k in usable] == [hash_key(lines[-1])]
    assert admin.check_password("changed-in-the-admin-42")
