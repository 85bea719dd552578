import os

import pytest


def uses_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def uses_redis() -> bool:
    return bool(os.environ.get("REDIS_URL"))


requires_postgres = pytest.mark.skipif(
    not uses_postgres(), reason="needs PostgreSQL: set DATABASE_URL (CI does)"
)
requires_redis = pytest.mark.skipif(not uses_redis(), reason="needs Redis: set REDIS_URL (CI does)")
