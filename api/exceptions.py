"""The one place every API error becomes the contract's envelope (contract section 3); the
domain errors themselves live in core/errors.py."""

import logging

from django.core.exceptions import ObjectDoesNotExist, SuspiciousOperation
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import DataError, IntegrityError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response

from api.middleware import current_request_id
from core.errors import VALIDATION_MESSAGE, DomainError, DomainValidationError

logger = logging.getLogger("ledgerline.api")

AUTH_MESSAGE = "Invalid API key or unauthorized access"


def flatten_errors(detail, prefix: str = "") -> dict[str, str]:
    """DRF's nested error lists become one sentence per dotted path: `items.0.amount`."""
    if isinstance(detail, dict):
        flat: dict[str, str] = {}
        for key, value in detail.items():
            # A nested serializer's own errors (`non_field_errors`) belong to its path.
            path = (
                prefix
                if (key == "non_field_errors" and prefix)
                else (f"{prefix}.{key}" if prefix else str(key))
            )
            flat.update(flatten_errors(value, path))
        return flat
    if isinstance(detail, list | tuple):
        if not detail:
            return {}
        if all(not isinstance(item, dict | list | tuple) for item in detail):
            return {prefix or "non_field_errors": str(detail[0])}
        flat = {}
        for index, item in enumerate(detail):
            flat.update(flatten_errors(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    return {prefix or "non_field_errors": str(detail)}


def error_response(message: str, status_code: int, errors: dict | None = None, headers=None):
    body: dict = {"success": False, "message": message}
    if errors is not None:
        body["errors"] = errors
    return Response(body, status=status_code, headers=headers)


def exception_handler(exc, context):
    if isinstance(exc, DomainValidationError):
        return error_response(exc.message, exc.status_code, exc.errors)
    if isinstance(exc, DomainError):
        return error_response(exc.message, exc.status_code)
    if isinstance(exc, exceptions.ValidationError):
        return error_response(VALIDATION_MESSAGE, 400, flatten_errors(exc.detail))
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        return error_response(AUTH_MESSAGE, 401, headers={"WWW-Authenticate": "Bearer"})
    if isinstance(exc, Http404 | ObjectDoesNotExist):
        return error_response("Not found.", 404)
    if isinstance(exc, SuspiciousOperation):
        return error_response("Bad request.", 400)
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, ProtectedError | RestrictedError):
        return error_response(
            "This record is still referenced by other records and cannot be deleted.", 409
        )
    if isinstance(exc, DataError | OverflowError):
        # A value the validators let through but the database cannot store or compare (a
        # timezone offset PostgreSQL refuses, an id too large for SQLite's integers): the
        # client's input, not a server fault.
        logger.warning("database refused a value, answered as 400: %s", exc)
        return error_response("A value in the request is out of the range this API accepts.", 400)
    if isinstance(exc, IntegrityError):
        logger.warning("integrity error answered as 409: %s", exc)
        return error_response("The request conflicts with existing data.", 409)
    if isinstance(exc, exceptions.UnsupportedMediaType):
        # DRF's own text names the type but not the fix; form posts from curl -d hit this.
        request = (context or {}).get("request")
        sent = (getattr(request, "content_type", "") or "none").split(";")[0]
        return error_response(
            f"Unsupported media type '{sent}': send the body as JSON with the header "
            "'Content-Type: application/json'.",
            415,
        )
    if isinstance(exc, exceptions.APIException):
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        detail = exc.detail
        message = str(detail) if not isinstance(detail, dict | list) else "Request failed"
        return error_response(message, exc.status_code, headers=headers)
    logger.exception("unhandled error in API request %s", current_request_id())
    return error_response(
        f"Internal server error. Quote request id {current_request_id()} to support.", 500
    )
