"""Request signing for keys that require it (docs/request-signing.md)."""

import hashlib
import hmac
import json
import time

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from customers.models import Customer
from tests.factories import make_api_key
from users.models import ApiKey

pytestmark = pytest.mark.django_db

AUTH_ERROR = {"success": False, "message": "Invalid API key or unauthorized access"}


def sign(secret: str, method: str, path: str, body: bytes = b"", timestamp=None) -> dict:
    """The client side, exactly as docs/request-signing.md shows it."""
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    message = f"{timestamp}.{method}.{path}.".encode() + body
    signature = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return {"HTTP_X_TIMESTAMP": timestamp, "HTTP_X_SIGNATURE": signature}


@pytest.fixture
def signed_key():
    key, raw = make_api_key(require_signature=True)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return key, client


def test_signed_key_gets_a_secret():
    key, _ = make_api_key(require_signature=True)

    assert key.require_signature is True
    assert key.signing_secret.startswith("llsig_")
    assert len(key.signing_secret) > 40


def test_correctly_signed_get_is_served(signed_key):
    key, client = signed_key

    response = client.get(
        "/api/v2/customers?page=1", **sign(key.signing_secret, "GET", "/api/v2/customers?page=1")
    )

    assert response.status_code == 200


def test_correctly_signed_post_is_served(signed_key):
    key, client = signed_key
    body = json.dumps({"account": "Signed Co", "email": "signed@example.com"}).encode()

    response = client.post(
        "/api/v2/customers",
        body,
        content_type="application/json",
        **sign(key.signing_secret, "POST", "/api/v2/customers", body),
    )

    assert response.status_code == 201
    assert Customer.objects.filter(email="signed@example.com").exists()


def test_unsigned_request_is_401(signed_key):
    _, client = signed_key

    response = client.get("/api/v2/customers")

    assert response.status_code == 401
    assert response.json() == AUTH_ERROR


def test_stale_timestamp_is_401(signed_key):
    key, client = signed_key
    old = int(time.time()) - 301

    response = client.get(
        "/api/v2/customers", **sign(key.signing_secret, "GET", "/api/v2/customers", timestamp=old)
    )

    assert response.status_code == 401


def test_timestamp_within_five_minutes_is_accepted(signed_key):
    key, client = signed_key
    recent = int(time.time()) - 290

    response = client.get(
        "/api/v2/customers",
        **sign(key.signing_secret, "GET", "/api/v2/customers", timestamp=recent),
    )

    assert response.status_code == 200


def test_wrong_secret_is_401(signed_key):
    _, client = signed_key

    response = client.get("/api/v2/customers", **sign("llsig_wrong", "GET", "/api/v2/customers"))

    assert response.status_code == 401


def test_tampered_body_is_401_and_creates_nothing(signed_key):
    key, client = signed_key
    signed_body = json.dumps({"account": "A", "email": "a@example.com"}).encode()
    sent_body = json.dumps({"account": "B", "email": "b@example.com"}).encode()

    response = client.post(
        "/api/v2/customers",
        sent_body,
        content_type="application/json",
        **sign(key.signing_secret, "POST", "/api/v2/customers", signed_body),
    )

    assert response.status_code == 401
    assert Customer.objects.count() == 0


def test_signature_for_another_path_is_401(signed_key):
    key, client = signed_key

    response = client.get("/api/v2/users", **sign(key.signing_secret, "GET", "/api/v2/customers"))

    assert response.status_code == 401


def test_keys_without_the_flag_ignore_signature_headers(api):
    response = api.get("/api/v2/customers", HTTP_X_SIGNATURE="junk", HTTP_X_TIMESTAMP="1")

    assert response.status_code == 200


def test_create_api_key_signed_prints_secret_before_the_key(capsys):
    call_command("create_api_key", "--email", "signer@example.com", "--signed")

    lines = capsys.readouterr().out.strip().splitlines()
    raw = lines[-1]
    secret = lines[-2].removeprefix("Signing secret: ")
    key = ApiKey.objects.get(user__email="signer@example.com")
    assert raw.startswith("ll_live_")
    assert secret == key.signing_secret
    assert key.require_signature is True
    client = APIClient()
    ok = client.get(
        "/api/v2/customers",
        HTTP_X_API_KEY=raw,
        **sign(secret, "GET", "/api/v2/customers"),
    )
    assert ok.status_code == 200
