"""Ops commands (contract section 2): safe to re-run, with progress and a summary."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from customers.models import Customer
from users.models import ApiKey
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
