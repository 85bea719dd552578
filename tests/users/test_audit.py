"""The users room's audit trail (issue #17): users and API keys record one entry per write and
door; a password or signing secret appears only as a marker, never its hash; the sandbox
mirror of a key's owner and per-request bookkeeping record nothing."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from audit.models import AuditEvent
from core.db import SANDBOX, using_alias
from tests.factories import UserFactory, make_api_key
from users import services
from users.models import ApiKey, Role, User

pytestmark = pytest.mark.django_db


def entries(resource="user"):
    return list(
        AuditEvent.objects.filter(resource=resource)
        .order_by("pk")
        .values_list("actor_type", "actor_id", "actor_name", "action", "resource_id", "changes")
    )


def no_secret_in_trail(*secrets):
    text = json.dumps(list(AuditEvent.objects.values_list("changes", flat=True)))
    return not any(secret and secret in text for secret in secrets)


@pytest.fixture
def admin_user():
    return UserFactory(role=Role.ADMINISTRATOR, email="boss@example.com")


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_api_create_records_the_user_and_that_a_password_was_set(api):
    body = {
        "name": "Ada",
        "email": "ada@example.com",
        "password": "a-Strong-passphrase-42",
        "role": "staff",
    }

    user_id = api.post("/api/v2/users", body, format="json").json()["data"]["id"]

    [(actor_type, actor_id, _, action, resource_id, changes)] = entries()
    assert (actor_type, actor_id, action, resource_id) == (
        "api_key",
        api.api_key.pk,
        "user.created",
        str(user_id),
    )
    assert changes == {
        "email": [None, "ada@example.com"],
        "name": [None, "Ada"],
        "role": [None, "staff"],
        "is_active": [None, True],
        "is_staff": [None, True],
        "is_superuser": [None, False],
        "password": [None, "(new)"],
    }
    assert no_secret_in_trail(User.objects.get(pk=user_id).password, body["password"])


def test_api_update_records_a_new_password_as_a_marker(api):
    user = UserFactory(role=Role.STAFF, name="Old")

    api.patch(
        f"/api/v2/users/{user.pk}",
        {"name": "New", "password": "another-Passphrase-43"},
        format="json",
    )

    user.refresh_from_db()
    assert user.check_password("another-Passphrase-43")
    assert entries()[0][3:] == (
        "user.updated",
        str(user.pk),
        {"name": ["Old", "New"], "password": ["(set)", "(new)"]},
    )
    assert no_secret_in_trail(user.password, "another-Passphrase-43")


def test_a_refused_update_records_nothing(api):
    user = UserFactory(role=Role.STAFF)

    response = api.patch(f"/api/v2/users/{user.pk}", {"password": "123"}, format="json")

    assert response.status_code == 400
    assert entries() == []


def test_the_last_administrator_refusal_records_nothing(api):
    # The key's owner is the only administrator.
    response = api.patch(f"/api/v2/users/{api.api_key.user_id}", {"role": "staff"}, format="json")

    assert response.status_code == 409
    assert entries() == []


def test_admin_password_page_records_the_change_by_the_user(admin_client, admin_user):
    user = UserFactory(role=Role.STAFF)

    admin_client.post(
        f"/admin/users/user/{user.pk}/password/",
        {
            "password1": "a-New-passphrase-77",
            "password2": "a-New-passphrase-77",
            "usable_password": "true",
        },
    )

    assert entries() == [
        (
            "user",
            admin_user.pk,
            "boss@example.com",
            "user.updated",
            str(user.pk),
            {"password": ["(set)", "(new)"]},
        )
    ]


def test_admin_delete_records_the_user(admin_client, admin_user):
    user = UserFactory(role=Role.STAFF, email="leaver@example.com")

    admin_client.post(f"/admin/users/user/{user.pk}/delete/", {"post": "yes"})

    [(_, actor_id, _, action, _, changes)] = entries()
    assert (actor_id, action) == (admin_user.pk, "user.deleted")
    assert changes["email"] == ["leaver@example.com", None]


def test_admin_key_create_and_revoke_never_record_the_hash(admin_client, admin_user):
    owner = UserFactory(role=Role.STAFF)
    admin_client.post(
        "/admin/users/apikey/add/", {"user": owner.pk, "name": "Shop", "is_sandbox": ""}
    )
    key = ApiKey.objects.get(user=owner)

    admin_client.post("/admin/users/apikey/", {"action": "revoke", "_selected_action": [key.pk]})

    recorded = entries("api_key")
    assert [(row[1], row[3], row[4]) for row in recorded] == [
        (admin_user.pk, "api_key.created", str(key.pk)),
        (admin_user.pk, "api_key.revoked", str(key.pk)),
    ]
    assert recorded[0][5]["name"] == [None, "Shop"]
    assert "key_hash" not in recorded[0][5] and "signing_secret" not in recorded[0][5]
    assert recorded[1][5]["revoked_at"][0] is None
    assert no_secret_in_trail(key.key_hash)


def test_signing_on_records_a_new_secret_as_a_marker():
    key, _ = make_api_key()

    services.api_key_require_signature(api_key=key)
    services.api_key_drop_signature(api_key=key)

    assert [row[3:] for row in entries("api_key")[1:]] == [
        (
            "api_key.updated",
            str(key.pk),
            {"require_signature": [False, True], "signing_secret": ["(none)", "(new)"]},
        ),
        (
            "api_key.updated",
            str(key.pk),
            {"require_signature": [True, False], "signing_secret": ["(set)", "(none)"]},
        ),
    ]


def test_revoking_twice_records_once():
    key, _ = make_api_key()

    services.api_key_revoke(api_key=key)
    services.api_key_revoke(api_key=key)

    assert [row[3] for row in entries("api_key")] == ["api_key.created", "api_key.revoked"]


def test_create_api_key_command_acts_as_itself():
    call_command("create_api_key", "--email", "bot@example.com", "--name", "Bot", stdout=StringIO())

    recorded = entries() + entries("api_key")
    assert [(row[0], row[2], row[3]) for row in recorded] == [
        ("system", "command:create_api_key", "user.created"),
        ("system", "command:create_api_key", "api_key.created"),
    ]


def test_ensure_admin_command_records_the_password_reset():
    user = UserFactory(email="owner@example.com", role=Role.ADMINISTRATOR)

    call_command(
        "ensure_admin", "--email", "owner@example.com", "--reset-password", stdout=StringIO()
    )

    assert entries()[0][:5] == (
        "system",
        None,
        "command:ensure_admin",
        "user.updated",
        str(user.pk),
    )
    assert entries()[0][5] == {"password": ["(set)", "(new)"]}


@pytest.mark.django_db(databases=["default", "sandbox"])
def test_the_sandbox_mirror_of_a_key_owner_is_not_audited():
    user = UserFactory(role=Role.STAFF)

    mirror = services.user_sandbox_mirror(user=user)

    with using_alias(SANDBOX):
        assert User.objects.filter(pk=mirror.pk).exists()
        assert AuditEvent.objects.count() == 0
