import pytest
from rest_framework.test import APIClient

from tests.factories import make_api_key
from users.models import Role
from users.services import user_sandbox_mirror


def sandbox_client(role: str = Role.ADMINISTRATOR, **key_kwargs) -> APIClient:
    """An APIClient with a new sandbox key, its owner mirrored in the sandbox database the
    way `create_api_key --sandbox` does it."""
    key, raw = make_api_key(role=role, is_sandbox=True, **key_kwargs)
    user_sandbox_mirror(user=key.user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    client.api_key = key
    client.raw_key = raw
    return client


@pytest.fixture
def sandbox_api(db) -> APIClient:
    return sandbox_client()
