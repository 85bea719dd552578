"""Request ids: every response carries `X-Request-ID` (echoed when the client sent a sane one),
and every log line written while serving the request carries it too."""

import logging
import re
import uuid
from contextvars import ContextVar

from core.db import LIVE, reset_alias, set_alias

_request_id: ContextVar[str] = ContextVar("request_id", default="-")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def current_request_id() -> str:
    return _request_id.get()


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get("X-Request-ID", "")
        request_id = given if _SAFE_ID.match(given) else uuid.uuid4().hex
        request.request_id = request_id
        id_token = _request_id.set(request_id)
        # Each request starts on the live database; the API key may switch it to the sandbox.
        alias_token = set_alias(LIVE)
        try:
            response = self.get_response(request)
        finally:
            reset_alias(alias_token)
            _request_id.reset(id_token)
        response["X-Request-ID"] = request_id
        return response
