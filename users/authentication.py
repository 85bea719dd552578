from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed

from api import ratelimit
from api.request_signing import signature_is_valid
from core.actor import Actor, set_actor
from core.db import LIVE, SANDBOX, set_alias
from users.services import api_key_authenticate_counting, user_sandbox_mirror


def raw_key_from(request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.headers.get("X-API-Key") or None


class ApiKeyAuthentication(BaseAuthentication):
    """`Authorization: Bearer <key>` or `X-API-Key: <key>` (contract section 4).

    A sandbox key switches the rest of the request to the sandbox database; a host whose name
    starts with `sandbox.` accepts sandbox keys only. A key that requires signatures must come
    with a fresh, valid `X-Signature` (docs/request-signing.md).
    """

    def authenticate(self, request):
        raw = raw_key_from(request)
        if raw is None:
            return None
        windows: list[ratelimit.Window] = []

        def counter(key_hash: str) -> tuple[str, int] | None:
            window = ratelimit.api_window(key_hash)
            if window is None:
                return None
            windows.append(window)
            return window.name, window.ttl

        # The rate limit is counted with the key's lookup when the key is cached (one Redis
        # round trip for both); api.ratelimit.consume counts it otherwise.
        key, count = api_key_authenticate_counting(raw, counter=counter)
        if count is not None and windows:
            request.rate_counted = (count, windows[0])
        if key is None:
            raise AuthenticationFailed()
        if request.get_host().lower().startswith("sandbox.") and not key.is_sandbox:
            raise AuthenticationFailed()
        if key.require_signature and not signature_is_valid(request._request, key.signing_secret):
            raise AuthenticationFailed()
        set_alias(SANDBOX if key.is_sandbox else LIVE)
        # Whatever this request changes is recorded as done by this key (the audit trail);
        # the request-id middleware resets it when the request ends.
        set_actor(Actor.api_key(key))
        # A sandbox request acts as the sandbox's own row for the key's owner, so anything it
        # stores with a user foreign key points at a row of the sandbox database.
        user = user_sandbox_mirror(user=key.user) if key.is_sandbox else key.user
        return user, key

    def authenticate_header(self, request) -> str:
        return "Bearer"
