"""Who is acting: the API key, admin user or system job on whose behalf the current code runs.

Services read `current_actor()` to record who made a change (the audit trail) without being
handed it by every caller. It lives in a context variable, set
- for an API request, by the key authentication (`Actor.api_key`);
- for an admin (or any session) request, lazily from `request.user` by the request-id
  middleware: resolved only when something asks, so reads pay nothing;
- for a Celery task, around the task (`task_actor_start`/`task_actor_end`, connected to
  Celery's signals by the audit app);
- for a command, by the command itself: `with acting_as(Actor.system("command:close_books")):`.
Nothing set means the system.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass

API_KEY = "api_key"
USER = "user"
SYSTEM = "system"
ACTOR_TYPES = (API_KEY, USER, SYSTEM)


@dataclass(frozen=True, slots=True)
class Actor:
    type: str
    id: int | None = None
    name: str = "system"

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        return cls(SYSTEM, None, name)

    @classmethod
    def api_key(cls, key) -> Actor:
        """From an API key row (duck-typed: `pk`, `name`, `prefix`), so core imports no room."""
        return cls(API_KEY, key.pk, key.name or f"{key.prefix}…")

    @classmethod
    def user(cls, user) -> Actor:
        return cls(USER, user.pk, getattr(user, "email", "") or str(user))


ActorResolver = Callable[[], "Actor | None"]

_actor: ContextVar[Actor | ActorResolver | None] = ContextVar("actor", default=None)


def current_actor() -> Actor:
    value = _actor.get()
    if value is not None and not isinstance(value, Actor):
        value = value()
    return value or Actor.system()


def set_actor(actor: Actor | ActorResolver | None) -> Token:
    """Sets the actor (or a function that finds it when first needed) until `reset_actor`."""
    return _actor.set(actor)


def reset_actor(token: Token) -> None:
    _actor.reset(token)


@contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    token = _actor.set(actor)
    try:
        yield actor
    finally:
        _actor.reset(token)


# --- Celery tasks act as the system ---------------------------------------------------------

_task_tokens: dict[str, Token] = {}


def task_actor_start(task_id=None, task=None, **kwargs) -> None:
    # A task queued by an API request runs as the system wherever it runs: in a worker, and
    # in-process too (eager mode), so the attribution does not depend on the deployment.
    if task_id is not None:
        _task_tokens[task_id] = _actor.set(Actor.system(f"task:{getattr(task, 'name', '?')}"))


def task_actor_end(task_id=None, **kwargs) -> None:
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        try:
            _actor.reset(token)
        except ValueError:  # ended in another context (thread): nothing of ours to undo there
            pass
