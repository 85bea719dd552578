"""Request signing for API keys that require it (docs/request-signing.md).

The client sends `X-Timestamp` (Unix seconds) and `X-Signature`, the lowercase hex
HMAC-SHA256, keyed with the key's signing secret, of the bytes

    f"{timestamp}.{METHOD}.{path}.".encode() + body

where `path` is the request path plus `?query` when there is one, exactly as sent, and `body`
the raw request body (empty for a GET). A timestamp more than `MAX_SKEW_SECONDS` away from the
server's clock is refused, so a captured request cannot be replayed later.
"""

import hashlib
import hmac
import time

MAX_SKEW_SECONDS = 300


def signed_message(*, timestamp: str, method: str, path: str, body: bytes) -> bytes:
    return f"{timestamp}.{method.upper()}.{path}.".encode() + body


def compute_signature(*, secret: str, timestamp: str, method: str, path: str, body: bytes) -> str:
    message = signed_message(timestamp=timestamp, method=method, path=path, body=body)
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_is_valid(request, secret: str, now: float | None = None) -> bool:
    """True when `request` (a Django HttpRequest) carries a fresh, correct signature."""
    timestamp = request.headers.get("X-Timestamp", "")
    signature = request.headers.get("X-Signature", "").strip().lower()
    if not secret or not timestamp.isdigit() or not signature:
        return False
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > MAX_SKEW_SECONDS:
        return False
    expected = compute_signature(
        secret=secret,
        timestamp=timestamp,
        method=request.method,
        path=request.get_full_path(),
        body=request.body,
    )
    return hmac.compare_digest(expected, signature)
