import pytest

from tests.factories import UserFactory
from users.models import Role


@pytest.fixture
def admin_user(db):
    return UserFactory(role=Role.ADMINISTRATOR, email="boss@example.com")


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def staff_client(client, db):
    client.force_login(UserFactory(role=Role.STAFF))
    return client
