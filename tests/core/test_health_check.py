"""core.postgresql: a reused connection is checked without a round trip, and a connection the
server has ended is still found unusable (a request after a PostgreSQL restart reconnects)."""

import time

import pytest
from django.db import connection, connections
from django.db.backends.postgresql.base import DatabaseWrapper as DjangoWrapper

from tests.markers import requires_postgres

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def other():
    fresh = connections.create_connection("default")
    fresh.ensure_connection()
    yield fresh
    fresh.close()


def test_an_idle_connection_is_usable_without_asking_the_server(other, monkeypatch):
    asked = []
    monkeypatch.setattr(DjangoWrapper, "is_usable", lambda self: asked.append(1) or True)

    assert other.is_usable() is True
    assert asked == []


def test_a_connection_the_server_ended_is_unusable(other):
    pid = other.connection.info.backend_pid
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 5
    while other.is_usable() and time.monotonic() < deadline:
        time.sleep(0.05)  # the server's notice and close arrive asynchronously

    assert other.is_usable() is False
    other.close()  # what Django's check does with an unusable connection
    with other.cursor() as cursor:  # a reconnect, as the next request makes
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
