import pytest

from tests.factories import CustomerFactory, UserFactory, make_api_key
from users.models import ApiKey, Role, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = UserFactory(role=Role.ADMINISTRATOR)
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/admin/users/user/",
        "/admin/users/user/add/",
        "/admin/users/apikey/",
        "/admin/users/apikey/add/",
        "/admin/customers/customer/",
        "/admin/customers/customer/add/",
    ],
)
def test_admin_pages_render(admin_client, url):
    CustomerFactory()
    make_api_key()

    assert admin_client.get(url).status_code == 200


def test_customer_search_in_admin(admin_client):
    CustomerFactory(account="Findable Ltd")
    CustomerFactory(account="Other Co")

    page = admin_client.get("/admin/customers/customer/?q=findable").content.decode()

    assert "Findable Ltd" in page
    assert "Other Co" not in page


def test_api_key_list_shows_prefix_owner_and_usage(admin_client):
    key, _ = make_api_key()

    page = admin_client.get("/admin/users/apikey/").content.decode()

    assert key.prefix in page
    assert key.user.email in page


def test_adding_a_key_in_admin_shows_the_raw_key_once(admin_client):
    owner = UserFactory()

    response = admin_client.post(
        "/admin/users/apikey/add/",
        {"user": owner.pk, "name": "from admin", "expires_at_0": "", "expires_at_1": ""},
        follow=True,
    )

    key = ApiKey.objects.get(name="from admin")
    messages = [str(m) for m in response.context["messages"]]
    assert any(key.prefix in m and "shown once" in m for m in messages)


def test_revoke_action(admin_client):
    key, _ = make_api_key()

    admin_client.post("/admin/users/apikey/", {"action": "revoke", "_selected_action": [key.pk]})

    key.refresh_from_db()
    assert key.revoked_at is not None


def test_staff_role_sees_customers_but_not_users(client):
    staff = UserFactory(role=Role.STAFF, is_superuser=False)
    from users.services import user_update

    user_update(user=staff, role=Role.STAFF)
    client.force_login(staff)

    assert client.get("/admin/customers/customer/").status_code == 200
    assert client.get("/admin/users/user/").status_code == 403


def test_the_password_page_saves_through_the_users_service(admin_client, monkeypatch):
    from users import services

    user = UserFactory(role=Role.STAFF)
    calls = []
    real = services.user_set_password

    def spy(**kwargs):
        calls.append(kwargs["user"].pk)
        return real(**kwargs)

    monkeypatch.setattr(services, "user_set_password", spy)

    response = admin_client.post(
        f"/admin/users/user/{user.pk}/password/",
        {
            "password1": "a-New-passphrase-77",
            "password2": "a-New-passphrase-77",
            "usable_password": "true",
        },
    )

    assert response.status_code == 302
    assert calls == [user.pk]
    user.refresh_from_db()
    assert user.check_password("a-New-passphrase-77")


def test_the_password_page_refuses_a_weak_password(admin_client):
    user = UserFactory(role=Role.STAFF)

    response = admin_client.post(
        f"/admin/users/user/{user.pk}/password/",
        {"password1": "12345678", "password2": "12345678", "usable_password": "true"},
    )

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password("correct-horse-battery-9")


def test_adding_a_user_in_the_admin_gives_the_role_its_rights(admin_client):
    response = admin_client.post(
        "/admin/users/user/add/",
        {"email": "New@Example.com", "name": "New", "role": "viewer", "password": ""},
    )

    assert response.status_code == 302
    user = User.objects.get(email="new@example.com")
    assert (user.role, user.is_superuser, user.has_usable_password()) == ("viewer", False, False)
    assert list(user.groups.values_list("name", flat=True)) == ["Role: viewer"]


def test_editing_a_key_renames_it_and_keeps_its_owner(admin_client):
    key, _ = make_api_key(name="old")
    other = UserFactory()

    response = admin_client.post(
        f"/admin/users/apikey/{key.pk}/change/",
        {
            "user": other.pk,
            "name": "renamed",
            "expires_at_0": "",
            "expires_at_1": "",
            "usage-TOTAL_FORMS": 0,
            "usage-INITIAL_FORMS": 0,
        },
    )

    assert response.status_code == 302
    key.refresh_from_db()
    assert (key.name, key.user_id) == ("renamed", key.user.pk)


def test_deleting_a_key_in_the_admin(admin_client):
    key, _ = make_api_key()

    admin_client.post(f"/admin/users/apikey/{key.pk}/delete/", {"post": "yes"})

    assert not ApiKey.objects.filter(pk=key.pk).exists()
