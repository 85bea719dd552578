"""Limits the server enforces that drf-spectacular cannot read off the serializers, written
into the document so that it says exactly what the server accepts (issue #14): generated
clients and schemathesis then agree with the server about what is valid."""

from django.contrib.auth.password_validation import get_default_password_validators

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


# Enums a request schema should state but its serializer field cannot (a list field's items, a
# choice field that takes only some of the model's choices). Rooms register them from their
# serializers module, so the hallway never imports a room: {(schema, field): (values, note)}.
REQUEST_ENUMS: dict[tuple[str, str], tuple[list[str], str | None]] = {}


def request_enum(
    *, schemas: tuple[str, ...], field: str, values: list[str], note: str | None = None
) -> None:
    for schema in schemas:
        REQUEST_ENUMS[(schema, field)] = (list(values), note)


def tighten(result: dict) -> None:
    schemas = result.get("components", {}).get("schemas", {})
    password_min = _password_min_length()
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
        for field in list(properties):
            if (name, field) not in REQUEST_ENUMS:
                continue
            values, note = REQUEST_ENUMS[(name, field)]
            prop = properties[field]
            if prop.get("type") == "array":
                prop["minItems"] = 1
                prop["items"] = {"type": "string", "enum": values}
            else:
                properties[field] = {"type": "string", "enum": values}
                if note:
                    properties[field]["description"] = note
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
