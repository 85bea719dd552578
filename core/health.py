"""Health checks a room adds to `GET /health` without the hallway importing the room (the way
reporting registers for `core.hooks.money_moved`).

A check returns `(ok, detail)`: not ok means the room's background work has stalled (e.g. the
recurring invoice generator has not run for a day), which `/health` reports as `stale` and
counts as degraded; an exception counts as down."""

from collections.abc import Callable

HealthCheck = Callable[[], tuple[bool, dict]]
_checks: dict[str, HealthCheck] = {}


def register_health_check(name: str, check: HealthCheck) -> None:
    _checks[name] = check


def health_checks() -> dict[str, HealthCheck]:
    return dict(_checks)
