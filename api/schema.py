"""The OpenAPI 3 schema (drf-spectacular) as clients really see the API.

drf-spectacular describes the serializers; this module adds what the shared hallway does to
every request: both ways of sending the key, the `{success, data, meta}` envelope, the error
bodies and status codes (400 with its `errors` map, 401, 403, 404, 409, 422, 429), the
rate-limit, request-id, ETag and idempotency headers. `schemathesis` checks the result
against the running code (tests/platform/test_schema_fuzz.py).
"""

import inspect
import re
from copy import deepcopy

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.renderers import OpenApiJsonRenderer, OpenApiJsonRenderer2
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny

from api.exceptions import AUTH_MESSAGE, VALIDATION_MESSAGE
from api.idempotency import MAX_KEY_LENGTH
from api.schema_docs import add_summaries
from api.schema_examples import add_examples
from api.schema_limits import tighten
from api.viewsets import ServiceViewSet


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "users.authentication.ApiKeyAuthentication"
    name = ["BearerAuth", "ApiKeyAuth"]

    def get_security_requirement(self, auto_schema):
        # Either header works: a list means OR in OpenAPI.
        return [{"BearerAuth": []}, {"ApiKeyAuth": []}]

    def get_security_definition(self, auto_schema):
        return [
            {
                "type": "http",
                "scheme": "bearer",
                "description": "`Authorization: Bearer <key>`",
            },
            {
                "type": "apiKey",
                "in": "header",
                "name": "X-API-Key",
                "description": "`X-API-Key: <key>`",
            },
        ]


# --- Components --------------------------------------------------------------------------------

ERROR = {
    "type": "object",
    "required": ["success", "message"],
    "properties": {
        "success": {"type": "boolean", "enum": [False]},
        "message": {"type": "string"},
    },
}
VALIDATION_ERROR = {
    "type": "object",
    "required": ["success", "message"],
    "properties": {
        "success": {"type": "boolean", "enum": [False]},
        "message": {"type": "string", "example": VALIDATION_MESSAGE},
        "errors": {
            "type": "object",
            "description": "One human sentence per field; nested fields use dotted paths "
            "(`items.0.amount`).",
            "additionalProperties": {"type": "string"},
            "example": {"email": "Invalid email format", "amount": "Amount must be greater than 0"},
        },
    },
}
INT_HEADER = {"schema": {"type": "integer"}}
HEADERS = {
    "X-Request-ID": {
        "description": "The request's id (echoed when the client sent one); quote it to support.",
        "schema": {"type": "string"},
    },
    "X-RateLimit-Limit": {"description": "Requests allowed per window for this key.", **INT_HEADER},
    "X-RateLimit-Remaining": {"description": "Requests left in this window.", **INT_HEADER},
    "X-RateLimit-Reset": {"description": "Unix time when the window resets.", **INT_HEADER},
    "Retry-After": {"description": "Seconds to wait before retrying.", **INT_HEADER},
    "ETag": {
        "description": "Strong validator of this body; send it in If-None-Match.",
        "schema": {"type": "string"},
    },
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored response of an earlier request with the "
        "same Idempotency-Key.",
        "schema": {"type": "string", "enum": ["true"]},
    },
}
RATE_HEADERS = ["X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"]

ERROR_RESPONSES = {
    "400": (
        "Bad request: validation failed (see `errors`), malformed JSON or query.",
        "ValidationErrorResponse",
    ),
    "401": (
        f"Missing, invalid, revoked or expired key, or a missing/stale signature: "
        f"`{AUTH_MESSAGE}`.",
        "ErrorResponse",
    ),
    "403": ("The key's role may not do this.", "ErrorResponse"),
    "404": ("No such record (or path).", "ErrorResponse"),
    "405": ("Method not allowed on this path.", "ErrorResponse"),
    "429": ("Rate limit exceeded for this key.", "ErrorResponse"),
}
WRITE_ERROR_RESPONSES = {
    "409": (
        "The record's state forbids this, or the same Idempotency-Key is still running.",
        "ErrorResponse",
    ),
}
POST_ERROR_RESPONSES = {
    "422": ("The Idempotency-Key was already used with a different request.", "ErrorResponse"),
}
# Any operation that takes a body: one sent as another media type (or with none) is refused,
# the message naming the type to send (JSON; the CSV imports' multipart file).
BODY_ERROR_RESPONSES = {
    "415": (
        "The body's Content-Type is not the one this operation takes (see its request body).",
        "ErrorResponse",
    ),
}

IDEMPOTENCY_PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Retry-safe POST: the same key and body within 24 hours replays the first "
    "response (same status and body) and creates nothing new; the same key with a different "
    "body is a 422.",
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
}
IF_NONE_MATCH_PARAMETER = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "An ETag from an earlier response: 304 with no body when unchanged.",
    "schema": {"type": "string"},
}


SUCCESS_DESCRIPTIONS = {"200": "OK.", "201": "Created.", "202": "Accepted: queued."}

# `data` of a delete: always null. Typed, so that generators and linters know what it is.
NULL_DATA = {"type": "object", "nullable": True, "description": "Always null."}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _envelope(data_schema: dict) -> dict:
    return {
        "type": "object",
        "required": ["success", "data"],
        "properties": {"success": {"type": "boolean", "enum": [True]}, "data": data_schema},
    }


def _is_enveloped(schema: dict, components: dict) -> bool:
    if "$ref" in schema:
        schema = components.get(schema["$ref"].rsplit("/", 1)[-1], {})
    return "success" in schema.get("properties", {})


def _header_components() -> dict:
    # Each header twice, optional and required: a `$ref` cannot override `required`.
    components = {}
    for name, header in HEADERS.items():
        components[name] = {**header, "required": False}
        components[f"{name}.required"] = {**header, "required": True}
    return components


def _headers(names: list[str], required: set[str]) -> dict:
    return {
        name: {"$ref": f"#/components/headers/{name}{'.required' if name in required else ''}"}
        for name in names
    }


CSV_BODY = {
    "type": "string",
    "description": "Every row matching the filters (not one page), streamed: a header row of "
    "the JSON field names, then one row per record; an invoice's or quote's `items` are "
    "flattened to one row per item, in columns `items.<field>` (contract section 14).",
}


def _wrap_success(operation: dict, method: str, components: dict) -> None:
    responses = operation.setdefault("responses", {})
    if method == "delete" and "204" in responses:
        # ServiceViewSet answers a delete with 200 and `data: null` (contract section 3).
        del responses["204"]
        responses["200"] = {
            "description": "Deleted.",
            "content": {"application/json": {"schema": _envelope(NULL_DATA)}},
        }
    for code, response in responses.items():
        if not code.startswith("2"):
            continue
        if not response.get("description"):
            response["description"] = SUCCESS_DESCRIPTIONS.get(code, "Success.")
        for media_type, content in list(response.get("content", {}).items()):
            if media_type == "text/csv":
                content["schema"] = dict(CSV_BODY)
            if media_type != "application/json":
                continue
            schema = content.get("schema")
            if schema is None:
                content["schema"] = _envelope(NULL_DATA)
            elif not _is_enveloped(schema, components):
                content["schema"] = _envelope(schema)


def _is_json(operation: dict) -> bool:
    """Whether the operation's success is a JSON body: only those get an ETag (api/etags.py);
    a PDF does not."""
    ok = operation.get("responses", {}).get("200", {})
    return "application/json" in ok.get("content", {"application/json": None})


def _is_csv(operation: dict) -> bool:
    ok = operation.get("responses", {}).get("200", {})
    return "text/csv" in ok.get("content", {})


def _add_errors(operation: dict, method: str, secured: bool) -> None:
    responses = operation["responses"]
    errors = dict(ERROR_RESPONSES)
    if method in ("post", "put", "patch", "delete"):
        errors |= WRITE_ERROR_RESPONSES
    if method == "post":
        errors |= POST_ERROR_RESPONSES
    if "requestBody" in operation:
        errors |= BODY_ERROR_RESPONSES
    if not secured:
        errors.pop("401", None)
        errors.pop("403", None)
    for code, (description, component) in errors.items():
        responses.setdefault(
            code,
            {
                "description": description,
                "content": {"application/json": {"schema": _ref(component)}},
            },
        )
    if method == "get" and secured and _is_json(operation):
        responses.setdefault("304", {"description": "Not modified (If-None-Match matched)."})


def _add_headers(operation: dict, method: str, secured: bool = True) -> None:
    for code, response in operation["responses"].items():
        names = ["X-Request-ID"]
        required = {"X-Request-ID"}
        if not secured:
            # Public views (the index) count no key: only the request id.
            response["headers"] = {**_headers(names, required), **response.get("headers", {})}
            continue
        if code != "401":
            names += RATE_HEADERS
        if code.startswith("2"):
            # Present on every answer the endpoint gave (a 404 for a malformed id comes from
            # the router's catch-all, before authentication, so it has none).
            required |= set(RATE_HEADERS)
        if code == "429":
            names.append("Retry-After")
            required |= {*RATE_HEADERS, "Retry-After"}
        if method == "get" and code in ("200", "304") and _is_json(operation):
            names.append("ETag")
            # A streamed CSV list has no ETag (its bytes are not known up front).
            if not _is_csv(operation):
                required.add("ETag")
        if method == "post" and code.startswith(("2", "4")):
            names.append("Idempotent-Replayed")
        response["headers"] = {**_headers(names, required), **response.get("headers", {})}


def _add_parameters(operation: dict, method: str) -> None:
    parameters = operation.setdefault("parameters", [])
    names = {(p.get("name"), p.get("in")) for p in parameters if "name" in p}
    extra = {"post": IDEMPOTENCY_PARAMETER, "get": IF_NONE_MATCH_PARAMETER}.get(method)
    if extra and (extra["name"], "header") not in names:
        parameters.append(deepcopy(extra))
    for parameter in parameters:
        if parameter.get("in") == "query" and not parameter.get("required"):
            # Everywhere (pagination, filters, search, ordering) `?name=` means "not given",
            # as an HTML form would send it; say so rather than let clients guess.
            parameter["allowEmptyValue"] = True


_PATH_PARAMETER = re.compile(r"\{([^}]+)\}")


def _collection_of(field: str) -> str:
    """`customer_id` → `/api/v2/customers`, `from_account_id` → `/api/v2/accounts`."""
    noun = field.removesuffix("_id").rsplit("_", 1)[-1]
    return "/api/v2/" + (noun[:-1] + "ies" if noun.endswith("y") else noun + "s")


def _body_fields(operation: dict, schemas: dict) -> list[str]:
    content = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    schema = content.get("schema", {})
    if "$ref" in schema:
        schema = schemas.get(schema["$ref"].rsplit("/", 1)[-1], {})
    return list(schema.get("properties", {}))


def _add_links(paths: dict, schemas: dict) -> None:
    """OpenAPI links from each create (a 201 whose body holds `data.id`) to where that id goes
    next: the operations on what it created (`POST /invoices` → `GET/PUT/PATCH/DELETE
    /invoices/{id}`, `POST /invoices/{id}/payments`; that one → `POST …/{payment_id}/void`) and
    the creates whose body names it (`POST /customers` → `POST /invoices` with `customer_id`).
    They tell readers and generated clients how the API fits together, and let schemathesis's
    stateful phase chain real ids instead of guessing them."""
    operations = [
        (path, method, operation)
        for path, item in paths.items()
        for method, operation in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]
    for path, item in paths.items():
        created = item.get("post", {}).get("responses", {}).get("201")
        if not created:
            continue
        own = _PATH_PARAMETER.findall(path)
        links = {}
        for target, method, operation in operations:
            operation_id = operation["operationId"]
            if target.startswith(path + "/{"):
                new = target[len(path) + 2 : target.index("}", len(path))]
                parameters = {new: "$response.body#/data/id"}
                parameters.update({name: f"$request.path.{name}" for name in own})
                if set(_PATH_PARAMETER.findall(target)) == set(parameters):
                    links[operation_id] = {"operationId": operation_id, "parameters": parameters}
            if method == "post" and not own and not _PATH_PARAMETER.findall(target):
                for field in _body_fields(operation, schemas):
                    if field.endswith("_id") and _collection_of(field) == path:
                        links[f"{operation_id}.{field}"] = {
                            "operationId": operation_id,
                            "requestBody": {field: "$response.body#/data/id"},
                        }
        if links:
            created["links"] = links


def postprocess_envelope(result, generator, request, public):
    """drf-spectacular postprocessing hook: the envelope, errors, headers and parameters."""
    # Relative: the API is described on whatever host serves this document.
    result["servers"] = [{"url": "/", "description": "The server that serves this schema"}]
    components = result.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.setdefault("ErrorResponse", ERROR)
    schemas.setdefault("ValidationErrorResponse", VALIDATION_ERROR)
    components.setdefault("headers", {}).update(_header_components())
    generic_description = inspect.cleandoc(ServiceViewSet.__doc__ or "")
    # The router answers with and without a trailing slash; the contract's paths have none.
    result["paths"] = {
        (path.rstrip("/") or "/"): item for path, item in result.get("paths", {}).items()
    }
    for path_item in result["paths"].values():
        for method, operation in path_item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            if operation.get("description") == generic_description:
                # The base class's docstring says nothing about this endpoint.
                del operation["description"]
            # A public view is documented as `security: [{}]` (no scheme needed).
            secured = any(operation.get("security") or [])
            _wrap_success(operation, method, schemas)
            _add_errors(operation, method, secured)
            _add_headers(operation, method, secured)
            _add_parameters(operation, method)
    add_examples(result["paths"])
    add_summaries(result["paths"])
    tighten(result)
    _add_links(result["paths"], schemas)
    return result


# --- Views -------------------------------------------------------------------------------------


class SchemaView(SpectacularAPIView):
    """`GET /api/v2/schema`: the OpenAPI 3 document, as `application/json`. Public, like the
    reference it describes."""

    renderer_classes = [OpenApiJsonRenderer2, OpenApiJsonRenderer]
    authentication_classes: list = []
    permission_classes = [AllowAny]


class DocsView(SpectacularSwaggerView):
    """`GET /api/v2/docs`: Swagger UI, its assets served by this site (no CDN)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    url_name = "api-schema"
