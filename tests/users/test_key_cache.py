"""The API-key lookup cache (users/key_cache.py): a hit skips the database, and no change to
a key or its user is ever outlived by a cached copy."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from tests.factories import UserFactory, make_api_key
from users import key_cache
from users.models import ApiKey, Role
from users.services import (
    api_key_drop_signature,
    api_key_require_signature,
    api_key_revoke,
    hash_key,
    user_delete,
    user_update,
)

pytestmark = pytest.mark.django_db

CUSTOMERS = "/api/v2/customers"


@pytest.fixture(autouse=True)
def _cache_on(settings):
    # On by default only with Redis; in one test process a local-memory cache behaves the same.
    settings.API_KEY_CACHE_SECONDS = 60


@pytest.fixture
def warm(client_for):
    """A client whose key has been used once, so its lookup is cached."""
    client = client_for()
    assert client.get(CUSTOMERS).status_code == 200
    assert key_cache.get(client.api_key.key_hash) is not None
    return client


def test_a_cached_key_is_not_looked_up_again(warm, django_assert_num_queries):
    # The page of an empty list (it carries its count) is the one query left.
    with django_assert_num_queries(1):
        assert warm.get(CUSTOMERS).status_code == 200


def test_revoking_a_cached_key_takes_effect_on_the_next_request(warm):
    api_key_revoke(api_key=ApiKey.objects.get(pk=warm.api_key.pk))

    assert warm.get(CUSTOMERS).status_code == 401


def test_revoking_in_the_admin_takes_effect_on_the_next_request(warm, client):
    client.force_login(UserFactory(role=Role.ADMINISTRATOR, is_superuser=True))

    client.post(
        "/admin/users/apikey/",
        {"action": "revoke", "_selected_action": [warm.api_key.pk]},
    )

    assert ApiKey.objects.get(pk=warm.api_key.pk).revoked_at is not None
    assert warm.get(CUSTOMERS).status_code == 401


def test_deleting_a_cached_key_takes_effect_on_the_next_request(warm):
    ApiKey.objects.get(pk=warm.api_key.pk).delete()

    assert warm.get(CUSTOMERS).status_code == 401


def test_deactivating_the_user_takes_effect_on_the_next_request(warm):
    UserFactory(role=Role.ADMINISTRATOR)  # the last administrator may not be deactivated

    user_update(user=warm.user, is_active=False)

    assert warm.get(CUSTOMERS).status_code == 401


def test_deleting_the_user_takes_effect_on_the_next_request(warm):
    UserFactory(role=Role.ADMINISTRATOR)  # the last administrator may not be deleted

    user_delete(user=warm.user)

    assert warm.get(CUSTOMERS).status_code == 401


def test_a_role_change_takes_effect_on_the_next_request(warm):
    UserFactory(role=Role.ADMINISTRATOR)  # the last administrator may not be demoted

    user_update(user=warm.user, role=Role.VIEWER)

    response = warm.post(CUSTOMERS, {"account": "A", "email": "a@example.com"})

    assert response.status_code == 403


def test_an_admin_login_keeps_the_entry(warm):
    # Logging into the admin saves only last_login: nothing a key depends on.
    user = warm.user
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])

    assert key_cache.get(warm.api_key.key_hash) is not None


def test_expiry_is_checked_on_the_cached_copy(client_for, monkeypatch):
    client = client_for(expires_at=timezone.now() + timedelta(hours=1))
    assert client.get(CUSTOMERS).status_code == 200
    later = timezone.now() + timedelta(hours=2)

    monkeypatch.setattr("users.models.timezone.now", lambda: later)

    assert client.get(CUSTOMERS).status_code == 401


def test_a_copy_read_before_a_change_cannot_be_put_back(warm):
    # A request that read the row just before the revocation committed tries to store it
    # afterwards: the tombstone refuses it.
    stale = key_cache.lookup_queryset().get(pk=warm.api_key.pk)
    api_key_revoke(api_key=ApiKey.objects.get(pk=warm.api_key.pk))

    key_cache.remember(stale)

    assert key_cache.get(warm.api_key.key_hash) is None
    assert warm.get(CUSTOMERS).status_code == 401


def test_nothing_is_cached_when_the_cache_is_off(client_for, settings):
    settings.API_KEY_CACHE_SECONDS = 0
    client = client_for()

    assert client.get(CUSTOMERS).status_code == 200
    assert cache.get(f"apikey:{client.api_key.key_hash}") is None


def test_unknown_keys_are_not_cached(anon):
    raw = "ll_live_not-a-real-key"
    anon.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert anon.get(CUSTOMERS).status_code == 401
    assert cache.get(f"apikey:{hash_key(raw)}") is None


def test_the_cached_copy_holds_no_password_hash(warm):
    cached = key_cache.get(warm.api_key.key_hash)

    assert "password" in cached.user.get_deferred_fields()
    assert warm.user.password  # the user has one; it just is not in the cache


def test_keys_that_require_signatures_are_never_cached(client_for):
    key, _ = make_api_key()
    key = api_key_require_signature(api_key=key)

    key_cache.remember(key)

    assert key_cache.get(key.key_hash) is None


def test_turning_signatures_on_takes_effect_on_the_next_request(warm):
    api_key_require_signature(api_key=ApiKey.objects.get(pk=warm.api_key.pk))

    assert warm.get(CUSTOMERS).status_code == 401  # unsigned now


def test_turning_signatures_off_is_seen_at_once(client_for):
    key, raw = make_api_key(require_signature=True)
    api_key_drop_signature(api_key=key)
    client = client_for()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert client.get(CUSTOMERS).status_code == 200
