"""Concurrent deletes of one user or API key: one wins, the rest find it gone. PostgreSQL only:
SQLite has no row locks to race on."""

import pytest

from tests.concurrency import delete_at_once, run_at_once
from tests.factories import UserFactory, make_api_key
from tests.markers import requires_postgres
from users.models import ApiKey, Role, User
from users.services import api_key_delete

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_deletes_of_one_user_answer_200_once(api):
    user = UserFactory(role=Role.STAFF)

    statuses = delete_at_once(8, api.raw_key, f"/api/v2/users/{user.pk}")

    assert sorted(statuses) == [200] + [404] * 7
    assert not User.objects.filter(pk=user.pk).exists()


def test_concurrent_deletes_of_one_api_key_delete_it_once():
    key, _ = make_api_key()

    results = run_at_once(8, lambda: api_key_delete(api_key=ApiKey.objects.get(pk=key.pk)))

    assert sorted(type(r).__name__ for r in results) == ["DoesNotExist"] * 7 + ["NoneType"]
    assert not ApiKey.objects.filter(pk=key.pk).exists()
