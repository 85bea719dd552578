"""Contract section 4: API keys and roles."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import CustomerFactory, make_api_key
from users.models import ApiKey
from users.services import api_key_revoke, hash_key
from users.usage import flush_all

pytestmark = pytest.mark.django_db

AUTH_ERROR = {"success": False, "message": "Invalid API key or unauthorized access"}


def test_missing_key_is_401(anon):
    response = anon.get("/api/v2/customers")

    assert response.status_code == 401
    assert response.json() == AUTH_ERROR


def test_wrong_key_is_401(anon):
    anon.credentials(HTTP_AUTHORIZATION="Bearer ll_live_nope")

    response = anon.get("/api/v2/customers")

    assert response.status_code == 401
    assert response.json() == AUTH_ERROR


def test_bearer_header_works():
    _, raw = make_api_key()
    client = APIClient()

    response = client.get("/api/v2/customers", HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert response.status_code == 200


def test_x_api_key_header_works():
    _, raw = make_api_key()
    client = APIClient()

    response = client.get("/api/v2/customers", HTTP_X_API_KEY=raw)

    assert response.status_code == 200


def test_key_is_stored_hashed_only():
    key, raw = make_api_key()

    stored = ApiKey.objects.get(pk=key.pk)

    assert stored.key_hash == hash_key(raw)
    assert raw not in {stored.key_hash, stored.prefix, stored.name}
    assert raw.startswith(stored.prefix)


def test_revoked_key_is_401():
    key, raw = make_api_key()
    api_key_revoke(api_key=key)

    response = APIClient().get("/api/v2/customers", HTTP_X_API_KEY=raw)

    assert response.status_code == 401


def test_expired_key_is_401():
    _, raw = make_api_key(expires_at=timezone.now() - timedelta(seconds=1))

    response = APIClient().get("/api/v2/customers", HTTP_X_API_KEY=raw)

    assert response.status_code == 401


def test_key_of_deactivated_user_is_401():
    key, raw = make_api_key()
    key.user.is_active = False
    key.user.save()

    response = APIClient().get("/api/v2/customers", HTTP_X_API_KEY=raw)

    assert response.status_code == 401


def test_use_is_recorded():
    key, raw = make_api_key()
    client = APIClient()

    client.get("/api/v2/customers", HTTP_X_API_KEY=raw)
    client.get("/api/v2/customers", HTTP_X_API_KEY=raw)
    flush_all()

    key.refresh_from_db()
    assert key.request_count == 2
    assert key.last_used_at is not None


def test_viewer_may_read(client_for):
    CustomerFactory()

    response = client_for("viewer").get("/api/v2/customers")

    assert response.status_code == 200


def test_viewer_may_not_write(client_for):
    response = client_for("viewer").post(
        "/api/v2/customers", {"account": "X", "email": "x@example.com"}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["success"] is False


def test_staff_may_write_customers(client_for):
    response = client_for("staff").post(
        "/api/v2/customers", {"account": "X", "email": "x@example.com"}, format="json"
    )

    assert response.status_code == 201


def test_staff_may_not_manage_users(client_for):
    assert client_for("staff").get("/api/v2/users").status_code == 403


def test_sandbox_host_refuses_live_key(api, settings):
    settings.ALLOWED_HOSTS = ["*"]

    response = api.get("/api/v2/customers", HTTP_HOST="sandbox.localhost")

    assert response.status_code == 401
    assert response.json() == AUTH_ERROR
