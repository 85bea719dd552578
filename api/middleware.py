"""Request ids: every response carries `X-Request-ID` (echoed when the client sent a sane one),
and every log line written while serving the request carries it too. The id itself lives in
`core.request_id`, so code outside the HTTP layer (the audit trail) can read it.

The same middleware sets up the rest of the request's context: the live database (the API
key may switch it to the sandbox) and the actor (`core.actor`): the session user, looked up
only if something asks (an admin write); the API key authentication replaces it."""

import logging
import re
import uuid

from core.actor import Actor, reset_actor, set_actor
from core.db import LIVE, reset_alias, set_alias
from core.request_id import current_request_id as _current_request_id
from core.request_id import reset_request_id, set_request_id

_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def current_request_id() -> str:
    return _current_request_id() or "-"


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


def _session_actor(request):
    def resolve() -> Actor | None:
        # `request.user` is set by AuthenticationMiddleware further in; by the time an admin
        # view writes, the admin has already loaded it (no extra query).
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return Actor.user(user)
        return None

    return resolve


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        request_id = given if _SAFE_ID.match(given) else uuid.uuid4().hex
        request.request_id = request_id
        id_token = set_request_id(request_id)
        # Each request starts on the live database; the API key may switch it to the sandbox.
        alias_token = set_alias(LIVE)
        actor_token = set_actor(_session_actor(request))
        try:
            response = self.get_response(request)
        finally:
            reset_actor(actor_token)
            reset_alias(alias_token)
            reset_request_id(id_token)
        response["X-Request-ID"] = request_id
        return response
