"""`reset_sandbox` (command and daily Celery task): wipe the sandbox, re-seed it, keep live."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from core.db import SANDBOX, using_alias
from customers.demo import SMALL_COUNT
from customers.models import Customer
from tests.factories import CustomerFactory
from tests.platform.conftest import sandbox_client
from users.models import User
from users.sandbox import _same_database
from users.tasks import reset_sandbox

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


def sandbox_customers() -> list[str]:
    return list(Customer.objects.using("sandbox").order_by("id").values_list("email", flat=True))


def test_reset_replaces_sandbox_rows_with_the_demo_set(capsys):
    with using_alias(SANDBOX):
        CustomerFactory(email="scratch@example.com")

    call_command("reset_sandbox")

    emails = sandbox_customers()
    assert "scratch@example.com" not in emails
    assert len(emails) == SMALL_COUNT
    assert "Sandbox reset: emptied, demo data loaded (small)" in capsys.readouterr().out


def test_reset_never_touches_live_data():
    CustomerFactory(email="live@example.com")

    call_command("reset_sandbox")

    assert list(Customer.objects.using("default").values_list("email", flat=True)) == [
        "live@example.com"
    ]


def test_reset_twice_gives_the_same_sandbox():
    call_command("reset_sandbox")
    first = sandbox_customers()

    call_command("reset_sandbox")

    assert sandbox_customers() == first


def test_sandbox_keys_keep_working_after_a_reset():
    client = sandbox_client()
    email = client.api_key.user.email

    call_command("reset_sandbox")

    assert User.objects.using("sandbox").filter(email=email).exists()
    response = client.get("/api/v2/customers")
    assert response.status_code == 200
    assert response.json()["meta"]["total_records"] == SMALL_COUNT


def test_reset_restarts_ids_so_demo_data_looks_fresh():
    call_command("reset_sandbox")
    first_ids = list(Customer.objects.using("sandbox").values_list("id", flat=True))

    call_command("reset_sandbox")

    assert list(Customer.objects.using("sandbox").values_list("id", flat=True)) == first_ids


def test_celery_task_resets_the_sandbox():
    with using_alias(SANDBOX):
        CustomerFactory(email="scratch@example.com")

    summary = reset_sandbox.delay().get()

    assert summary.startswith("Sandbox reset: emptied, demo data loaded (small)")
    assert "scratch@example.com" not in sandbox_customers()


def test_beat_schedules_the_task_daily(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["sandbox-reset"]

    assert entry["task"] == reset_sandbox.name == "users.tasks.reset_sandbox"


def test_reset_refuses_when_sandbox_is_the_live_database(settings):
    with pytest.warns(UserWarning):
        settings.DATABASES = {**settings.DATABASES, "sandbox": settings.DATABASES["default"]}
    CustomerFactory(email="live@example.com")

    with pytest.raises(CommandError, match="points at the live database"):
        call_command("reset_sandbox")

    assert Customer.objects.using("default").count() == 1


def test_same_database_compares_engine_name_host_and_port():
    pg = {"ENGINE": "django.db.backends.postgresql", "NAME": "ll", "HOST": "db", "PORT": 5432}

    assert _same_database(pg, {**pg, "PORT": "5432"})
    assert not _same_database(pg, {**pg, "NAME": "ll_sandbox"})
    assert not _same_database(pg, {**pg, "HOST": "other"})
