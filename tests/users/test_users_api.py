import pytest

from tests.factories import UserFactory
from users.models import Role, User

pytestmark = pytest.mark.django_db

NEW_USER = {
    "name": "Admin User",
    "email": "admin2@example.com",
    "password": "a-Strong-passphrase-42",
    "role": "administrator",
}


def test_create_user(api):
    response = api.post("/api/v2/users", NEW_USER, format="json")

    data = response.json()["data"]
    assert response.status_code == 201
    assert {k: data[k] for k in ("name", "email", "role")} == {
        "name": "Admin User",
        "email": "admin2@example.com",
        "role": "administrator",
    }
    assert User.objects.get(email="admin2@example.com").check_password("a-Strong-passphrase-42")


def test_password_and_hash_are_never_returned(api):
    created = api.post("/api/v2/users", NEW_USER, format="json").json()["data"]
    listed = api.get("/api/v2/users").json()["data"]

    for user in [created, *listed]:
        assert "password" not in user
        assert not any("pbkdf2" in str(v) or "md5$" in str(v) for v in user.values())


def test_weak_password_is_refused_by_django_validators(api):
    response = api.post("/api/v2/users", {**NEW_USER, "password": "12345678"}, format="json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"password"}
    assert isinstance(response.json()["errors"]["password"], str)
    assert not User.objects.filter(email="admin2@example.com").exists()


def test_password_is_required_on_create(api):
    payload = {k: v for k, v in NEW_USER.items() if k != "password"}

    response = api.post("/api/v2/users", payload, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"password": "This field is required."}


def test_unknown_role_is_refused(api):
    response = api.post("/api/v2/users", {**NEW_USER, "role": "owner"}, format="json")

    assert response.status_code == 400
    assert "role" in response.json()["errors"]


def test_duplicate_email_is_refused(api):
    UserFactory(email="admin2@example.com")

    response = api.post("/api/v2/users", {**NEW_USER, "email": "Admin2@Example.com"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"email": "A user with this email already exists."}


def test_role_drives_admin_rights(api):
    api.post("/api/v2/users", {**NEW_USER, "role": "staff"}, format="json")

    user = User.objects.get(email="admin2@example.com")
    assert user.is_staff is True
    assert user.is_superuser is False
    assert list(user.groups.values_list("name", flat=True)) == ["Role: staff"]


def test_patch_role(api):
    user = UserFactory(role=Role.VIEWER)

    response = api.patch(f"/api/v2/users/{user.pk}", {"role": "administrator"}, format="json")

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.role == Role.ADMINISTRATOR
    assert user.is_superuser is True


def test_patch_without_password_keeps_it(api):
    user = UserFactory()

    api.patch(f"/api/v2/users/{user.pk}", {"name": "Renamed"}, format="json")

    user.refresh_from_db()
    assert user.check_password("correct-horse-battery-9")


def test_delete_user(api):
    user = UserFactory()

    response = api.delete(f"/api/v2/users/{user.pk}")

    assert response.status_code == 200
    assert not User.objects.filter(pk=user.pk).exists()


def test_cannot_delete_yourself(api):
    response = api.delete(f"/api/v2/users/{api.user.pk}")

    assert response.status_code == 409
    assert User.objects.filter(pk=api.user.pk).exists()


@pytest.mark.parametrize("role", ["staff", "viewer"])
def test_only_administrators_manage_users(client_for, role):
    client = client_for(role)

    assert client.get("/api/v2/users").status_code == 403
    assert client.post("/api/v2/users", NEW_USER, format="json").status_code == 403
    assert not User.objects.filter(email="admin2@example.com").exists()


def test_a_password_changed_by_patch_is_the_one_that_logs_in(api):
    created = api.post("/api/v2/users", NEW_USER, format="json").json()["data"]

    response = api.patch(
        f"/api/v2/users/{created['id']}", {"password": "another-Strong-phrase-77"}, format="json"
    )

    assert response.status_code == 200
    user = User.objects.get(pk=created["id"])
    assert user.check_password("another-Strong-phrase-77")
    assert not user.check_password(NEW_USER["password"])
