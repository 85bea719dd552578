"""Request ids: every response carries `X-Request-ID` (echoed when the client sent a sane one),
and every log line written while serving the request carries it too. The id itself lives in
`core.request_id`, so code outside the HTTP layer (the audit trail) can read it.

The same middleware sets up the rest of the request's context: the live database (the API
key may switch it to the sandbox) and the actor (`core.actor`): the session user, looked up
only if something asks (an admin write); the API key authentication replaces it.

Chunked request bodies are read in full or refused, never seen as empty."""

import io
import logging
import re
import uuid

from django.conf import settings
from django.http import JsonResponse

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
