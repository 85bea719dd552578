from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from customers.models import Customer
from users.models import ApiKey, Role, User

pytestmark = pytest.mark.django_db


def _run(*args) -> list[str]:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().strip().splitlines()


def test_create_api_key_prints_a_working_key_alone_on_the_last_line():
    lines = _run("create_api_key", "--email", "ops@example.com")

    raw = lines[-1]
    response = APIClient().get("/api/v2/customers", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
    assert " " not in raw


def test_create_api_key_creates_the_user_with_the_role():
    _run("create_api_key", "--email", "viewer@example.com", "--role", "viewer", "--name", "dash")

    user = User.objects.get(email="viewer@example.com")
    assert user.role == Role.VIEWER
    assert ApiKey.objects.get(user=user).name == "dash"


def test_create_api_key_reuses_an_existing_user():
    _run("create_api_key", "--email", "ops@example.com")
    _run("create_api_key", "--email", "ops@example.com")

    assert User.objects.filter(email="ops@example.com").count() == 1
    assert ApiKey.objects.filter(user__email="ops@example.com").count() == 2


def test_create_api_key_never_stores_the_raw_key():
    raw = _run("create_api_key", "--email", "ops@example.com")[-1]

    key = ApiKey.objects.get()
    assert raw not in (key.key_hash, key.prefix, key.name)


def test_seed_demo_is_idempotent():
    _run("seed_demo")
    first = Customer.objects.count()

    _run("seed_demo")

    assert first >= 20
    assert Customer.objects.count() == first


def test_ensure_admin_gives_a_working_admin_login(client):
    line = _run("ensure_admin", "--email", "boss@example.com")[-1]
    password = line.split(" / ")[-1]

    assert client.login(username="boss@example.com", password=password)
    assert client.get("/admin/").status_code == 200
