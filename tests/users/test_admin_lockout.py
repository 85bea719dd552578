"""Brute force on `/admin/login/` (issue 13, item 6): django-axes locks an account after 10
failures, and an address after 10 failures whatever the accounts; an administrator unlocks in
the admin; API keys are not concerned."""

import pytest
from axes.models import AccessAttempt
from django.test import Client

from tests.factories import UserFactory, make_api_key
from users.models import Role

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # noqa: S105 - a test password


@pytest.fixture
def admin_user():
    user = UserFactory(email="boss@example.com", role=Role.ADMINISTRATOR, is_staff=True)
    user.set_password(PASSWORD)
    user.save()
    return user


def _login(client: Client, email: str, password: str, ip: str = "203.0.113.7"):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": email, "password": password},
        REMOTE_ADDR=ip,
    )


def _logged_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == "/admin/"


def test_the_right_password_works_before_the_limit(client, admin_user):
    for _ in range(9):
        _login(client, admin_user.email, "wrong")

    assert _logged_in(_login(client, admin_user.email, PASSWORD))


def test_ten_wrong_passwords_lock_the_account_even_for_the_right_one(client, admin_user):
    tries = [_login(client, admin_user.email, "wrong").status_code for _ in range(10)]
    assert tries == [200] * 9 + [429]  # the form again, then the lockout on the tenth

    response = _login(client, admin_user.email, PASSWORD)

    assert response.status_code == 429
    assert not _logged_in(response)
    assert "_auth_user_id" not in client.session


def test_the_account_stays_locked_from_another_address(client, admin_user):
    for _ in range(10):
        _login(client, admin_user.email, "wrong", ip="203.0.113.7")

    response = _login(Client(), admin_user.email, PASSWORD, ip="198.51.100.9")

    assert response.status_code == 429


def test_the_account_count_ignores_the_case_of_the_email(client, admin_user):
    for n in range(10):
        _login(Client(), admin_user.email.upper(), "wrong", ip=f"203.0.113.{n}")

    response = _login(Client(), admin_user.email, PASSWORD, ip="198.51.100.9")

    assert response.status_code == 429


def test_an_address_spraying_accounts_is_locked_for_every_account(client, admin_user):
    for n in range(10):
        _login(client, f"guess{n}@example.com", "wrong", ip="203.0.113.7")

    response = _login(Client(), admin_user.email, PASSWORD, ip="203.0.113.7")

    assert response.status_code == 429


def test_deleting_the_attempts_in_the_admin_unlocks(client, admin_user):
    for _ in range(10):
        _login(client, admin_user.email, "wrong")
    assert _login(client, admin_user.email, PASSWORD).status_code == 429
    attempts = list(AccessAttempt.objects.values_list("pk", flat=True))
    unlocker = UserFactory(role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    other = Client()
    other.force_login(unlocker)

    listed = other.get("/admin/axes/accessattempt/")
    unlocked = other.post(
        "/admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": attempts, "post": "yes"},
    )

    assert listed.status_code == 200
    assert unlocked.status_code == 302
    assert AccessAttempt.objects.count() == 0
    assert _logged_in(_login(client, admin_user.email, PASSWORD))


def test_a_success_resets_the_account_count(client, admin_user):
    for _ in range(9):
        _login(client, admin_user.email, "wrong")
    assert _logged_in(_login(client, admin_user.email, PASSWORD))
    client.logout()

    for _ in range(9):
        _login(client, admin_user.email, "wrong")

    assert _logged_in(_login(client, admin_user.email, PASSWORD))


def test_api_keys_work_while_their_owner_is_locked_out(client, admin_user):
    _, raw = make_api_key(user=admin_user)
    for _ in range(10):
        _login(client, admin_user.email, "wrong")

    response = Client().get("/api/v2/customers", HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert response.status_code == 200
