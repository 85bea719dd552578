"""Standard Webhooks signatures (https://www.standardwebhooks.com), made with the reference
`standardwebhooks` package so receivers can verify with any conforming library."""

import base64
import secrets
from datetime import datetime
from functools import lru_cache

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret


def secret_new() -> str:
    """A fresh signing secret: `whsec_` + base64 of 24 random bytes (the spec asks for 24-64)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode("ascii")


def signed_headers(*, secret: str, message_id: str, timestamp: datetime, body: bytes) -> dict:
    """The three Standard Webhooks headers for `body` sent at `timestamp`.

    `message_id` stays the same on every retry of one message, so receivers can deduplicate;
    the timestamp is the attempt's own, so a replayed old request fails the receiver's
    tolerance check.
    """
    signature = _signer(secret).sign(message_id, timestamp, body.decode("utf-8"))
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature,
    }


@lru_cache(maxsize=1024)
def _signer(secret: str) -> Webhook:
    # Decoding the secret once per endpoint rather than once per attempt.
    return Webhook(secret)
