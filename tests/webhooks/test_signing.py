import base64
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from tests.webhooks.factories import EventFactory
from webhooks.delivery import event_body_bytes
from webhooks.signing import secret_new, signed_headers


def test_a_new_secret_is_whsec_and_24_random_bytes():
    secret = secret_new()

    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 24
    assert secret_new() != secret


def test_signature_matches_the_standard_webhooks_published_example():
    # The test vector from the Standard Webhooks reference libraries.
    headers = signed_headers(
        secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        message_id="msg_p5jXN8AQM9LWM0D4loKWxJek",
        timestamp=datetime.fromtimestamp(1614265330, tz=UTC),
        body=b'{"test": 2432232314}',
    )

    assert headers == {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    }


@pytest.mark.django_db
def test_signed_event_body_verifies_with_the_reference_verifier():
    secret = secret_new()
    event = EventFactory(data={"id": 7, "account": "Acme Corp", "amount": 1500.0})
    body = event_body_bytes(event)

    headers = signed_headers(
        secret=secret, message_id=event.public_id, timestamp=timezone.now(), body=body
    )

    assert Webhook(secret).verify(body, headers) == {
        "id": event.public_id,
        "type": "customer.created",
        "created_at": event.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "data": {"id": 7, "account": "Acme Corp", "amount": 1500.0},
    }


def test_a_tampered_body_fails_verification():
    secret = secret_new()
    headers = signed_headers(
        secret=secret, message_id="evt_1", timestamp=timezone.now(), body=b'{"amount":1}'
    )

    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(b'{"amount":2}', headers)


def test_another_secret_fails_verification():
    headers = signed_headers(
        secret=secret_new(), message_id="evt_1", timestamp=timezone.now(), body=b"{}"
    )

    with pytest.raises(WebhookVerificationError):
        Webhook(secret_new()).verify(b"{}", headers)


def test_a_stale_timestamp_fails_verification():
    secret = secret_new()
    headers = signed_headers(
        secret=secret,
        message_id="evt_1",
        timestamp=timezone.now() - timedelta(minutes=6),
        body=b"{}",
    )

    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(secret).verify(b"{}", headers)
