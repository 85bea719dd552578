"""Errors a service raises on input or state it refuses. Domain-free: every room imports
them; the API's exception handler (api/exceptions.py) turns them into the contract's envelope,
and the admin base turns them into a message on the page."""

VALIDATION_MESSAGE = "Validation failed"


class DomainError(Exception):
    """Base for errors a service raises on input or state it refuses."""

    status_code = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class DomainValidationError(DomainError):
    """Bad input, field by field: `{"field.path": "One human sentence."}`."""

    def __init__(self, errors: dict[str, str], message: str = VALIDATION_MESSAGE):
        super().__init__(message)
        self.errors = errors


class ConflictError(DomainError):
    """The request is well formed but the record's state forbids it (HTTP 409)."""

    status_code = 409


class UnprocessableError(DomainError):
    status_code = 422
