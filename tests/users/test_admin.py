import pytest

from tests.factories import CustomerFactory, UserFactory, make_api_key
from users.models import ApiKey, Role

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
