"""The id of the request (or other unit of work) being served, readable by any code: log
lines, error messages and audit entries quote it. Set by `api.middleware.RequestIdMiddleware`
for every HTTP request; None outside one (a command, a worker task)."""

from contextvars import ContextVar, Token

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    return _request_id.get()


def set_request_id(value: str | None) -> Token:
    return _request_id.set(value)


def reset_request_id(token: Token) -> None:
    _request_id.reset(token)
