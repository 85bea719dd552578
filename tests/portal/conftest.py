import hashlib
import hmac
import json
import time

import pytest
from django.test import Client

WEBHOOK_SECRET = "whsec_test_portal_secret"  # noqa: S105 - a test signing secret
SITE = "https://billing.example.test"


@pytest.fixture(autouse=True)
def _portal_settings(settings):
    settings.SITE_URL = SITE
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    # Never Stripe's own servers: a port nothing listens on unless a test starts the stand-in.
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    settings.STRIPE_ACCOUNT_ID = None
    settings.PORTAL_RATE_LIMIT = "1000/m"
    return settings


@pytest.fixture
def browser() -> Client:
    """The customer's browser: no login, and CSRF checked as a real browser's request is."""
    return Client(enforce_csrf_checks=True)


def path_of(document) -> str:
    return f"/portal/{document.portal_token}"


def csrf_post(client: Client, url: str, page: str, data: dict | None = None):
    """Posts a form the way a browser does after loading `page`: with its CSRF token. A page
    that shows no form has no token to give: the post then goes without the CSRF check, to
    show what the view itself answers."""
    response = client.get(page)
    if b'name="csrfmiddlewaretoken"' not in response.content:
        return Client().post(url, data or {})
    token = response.context["csrf_token"]
    return client.post(url, {**(data or {}), "csrfmiddlewaretoken": str(token)})


def stripe_signature(payload: bytes, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    """`Stripe-Signature` as Stripe computes it: HMAC-SHA256 of "<t>.<payload>"."""
    timestamp = int(time.time()) if at is None else at
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def checkout_completed(
    invoice_id: int,
    amount_total: int,
    *,
    intent: str = "pi_test_1",
    currency: str = "usd",
    event_id: str = "evt_test_1",
) -> bytes:
    event = {
        "id": event_id,
        "object": "event",
        "type": "checkout.session.completed",
        "data": {
            "object": {
                "id": "cs_test_1",
                "object": "checkout.session",
                "client_reference_id": str(invoice_id),
                "payment_intent": intent,
                "amount_total": amount_total,
                "currency": currency,
                "payment_status": "paid",
            }
        },
    }
    return json.dumps(event).encode()


def deliver(client: Client, payload: bytes, signature: str | None = None):
    return client.post(
        "/portal/stripe/webhook",
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature if signature is not None else stripe_signature(payload),
    )
