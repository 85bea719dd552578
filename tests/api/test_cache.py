"""The Redis cache backend (core/cache.py): Django's, with one client per pool and an atomic,
single-round-trip `incr`."""

import pytest
from django.core.cache import caches

from core.cache import RedisCache
from tests.markers import requires_redis

pytestmark = requires_redis


@pytest.fixture
def backend():
    backend = caches["default"]
    assert isinstance(backend, RedisCache)
    return backend


def test_incr_adds_to_an_existing_counter(backend):
    backend.set("hits", 5, timeout=60)

    assert backend.incr("hits") == 6
    assert backend.incr("hits", 10) == 16
    assert backend.get("hits") == 16


def test_incr_of_a_missing_key_raises_and_creates_nothing(backend):
    with pytest.raises(ValueError, match="not found"):
        backend.incr("never-set")

    assert backend.redis().exists(backend.make_and_validate_key("never-set")) == 0


def test_incr_keeps_the_window_expiry(backend):
    # A counter that lost its TTL would never reset: the rate limit would hold forever.
    backend.set("window", 1, timeout=60)

    backend.incr("window")

    assert 0 < backend.redis().ttl(backend.make_and_validate_key("window")) <= 60


def test_decr_goes_through_the_same_script(backend):
    backend.set("stock", 10, timeout=60)

    assert backend.decr("stock", 4) == 6


def test_one_client_serves_every_operation(backend):
    client = backend.redis()

    backend.set("a", 1)
    backend.get("a")
    backend.incr("a")

    assert backend.redis() is client
    assert backend._cache.get_client(write=True) is client
