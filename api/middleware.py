"""Request ids: every response carries `X-Request-ID` (echoed when the client sent a sane one),
and every log line written while serving the request carries it too. Chunked request bodies
are read in full or refused, never seen as empty."""

import io
import logging
import re
import uuid
from contextvars import ContextVar

from django.conf import settings
from django.http import JsonResponse

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


class ChunkedBodyMiddleware:
    """Reads a `Transfer-Encoding: chunked` request body, or refuses it with 411.

    Django reads exactly CONTENT_LENGTH bytes of a body, and a chunked request has none: it
    would see an empty body, and a chunked PATCH would be a silent 200 that changed nothing.
    gunicorn de-chunks the input and says so with `wsgi.input_terminated` (a read to the end
    stops at the body's end), so the body is read here, up to Django's own size limit
    (DATA_UPLOAD_MAX_MEMORY_SIZE, 413 past it). A server that does not (runserver's wsgiref)
    gets 411 Length Required: the client can resend with a Content-Length.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            refused = self._read_chunked(request)
            if refused is not None:
                return refused
        return self.get_response(request)

    @staticmethod
    def _read_chunked(request):
        if not request.META.get("wsgi.input_terminated"):
            return JsonResponse(
                {
                    "success": False,
                    "message": "Length Required: send the body with a Content-Length header.",
                },
                status=411,
            )
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        body = request.META["wsgi.input"].read(-1 if limit is None else limit + 1)
        if limit is not None and len(body) > limit:
            return JsonResponse(
                {"success": False, "message": "Request body too large."}, status=413
            )
        request.META["CONTENT_LENGTH"] = str(len(body))
        request._stream = io.BytesIO(body)
        return None
