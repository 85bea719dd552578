"""Limits the server enforces that drf-spectacular cannot read off the serializers, written
into the document so that it says exactly what the server accepts (issue #14): generated
clients and schemathesis then agree with the server about what is valid."""

from django.contrib.auth.password_validation import get_default_password_validators

from customers.models import LeadStatus
from webhooks import catalog

DECIMAL_PLACES_NOTE = "At most 2 decimal places: more is a 400 (money, by contrast, is rounded)."
STRICT_DECIMAL_FIELDS = ("qty", "tax_rate")
BATCH_MAX = 1000


def _password_min_length() -> int:
    for validator in get_default_password_validators():
        if hasattr(validator, "min_length"):
            return validator.min_length
    return 1


def _request_schemas(schemas: dict):
    for name, schema in schemas.items():
        if name.endswith("Request") and isinstance(schema.get("properties"), dict):
            yield name, schema["properties"]


def _email_or_blank(prop: dict) -> dict | None:
    """drf-spectacular writes an optional email as `oneOf: [email, maxLength 0]`; `""` matches
    both branches (validators do not assert `format`), which `oneOf` forbids. `anyOf` says it."""
    branches = prop.get("oneOf")
    if isinstance(branches, list) and any(b.get("maxLength") == 0 for b in branches):
        fixed = {k: v for k, v in prop.items() if k != "oneOf"}
        # A default of "" inside the email branch is not an email: it belongs to the whole.
        for branch in branches:
            if "default" in branch:
                fixed["default"] = branch.pop("default")
        return {"anyOf": branches, **fixed}
    return None


def tighten(result: dict) -> None:
    schemas = result.get("components", {}).get("schemas", {})
    password_min = _password_min_length()
    events = [catalog.WILDCARD, *catalog.EVENT_TYPES]
    editable_lead_statuses = [s for s in LeadStatus.values if s != LeadStatus.CONVERTED]
    for name, properties in _request_schemas(schemas):
        for field in STRICT_DECIMAL_FIELDS:
            if field in properties:
                properties[field]["description"] = DECIMAL_PLACES_NOTE
        if "password" in properties and name.startswith(("User", "PatchedUser")):
            properties["password"]["minLength"] = password_min
            properties["password"]["description"] = (
                f"At least {password_min} characters; checked by Django's password validators "
                "(not too common, not all digits, not like the email)."
            )
        if name in ("EndpointRequest", "PatchedEndpointRequest") and "events" in properties:
            properties["events"]["minItems"] = 1
            properties["events"]["items"] = {"type": "string", "enum": events}
        if name in ("LeadRequest", "PatchedLeadRequest") and "status" in properties:
            properties["status"] = {
                "type": "string",
                "enum": editable_lead_statuses,
                "description": "`Converted` is set only by `POST /leads/{id}/convert`.",
            }
        if name == "CustomerBatchRequest" and "customers" in properties:
            properties["customers"]["minItems"] = 1
            properties["customers"]["maxItems"] = BATCH_MAX
    for schema in schemas.values():
        properties = schema.get("properties")
        for field, prop in (properties or {}).items():
            fixed = _email_or_blank(prop)
            if fixed is not None:
                properties[field] = fixed
    for item in result.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and parameter.get("name") in ("page", "limit"):
                    parameter.setdefault("schema", {})["minimum"] = 1
