"""The last active administrator can be neither deleted, demoted nor deactivated, through the
API (409) or the admin (a message on the page), by themselves included, and not by two
administrators acting at the same moment either (the active administrators' rows are locked)."""

import pytest

from core.errors import ConflictError
from tests.concurrency import run_at_once
from tests.factories import UserFactory, make_api_key
from tests.markers import requires_postgres
from users.models import Role, User
from users.services import user_delete, user_update

PASSWORD = "correct-horse-battery-9"


def _state(user: User) -> tuple:
    user = User.objects.get(pk=user.pk)
    groups = list(user.groups.values_list("name", flat=True))
    return user.role, user.is_active, user.is_superuser, groups


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"role": "viewer"}, "The last active administrator cannot be demoted."),
        ({"role": "staff", "is_active": True}, "The last active administrator cannot be demoted."),
        ({"is_active": False}, "The last active administrator cannot be deactivated."),
    ],
)
def test_the_last_administrator_cannot_demote_or_deactivate_themselves_through_the_api(
    api, change, message
):
    before = _state(api.user)

    response = api.patch(f"/api/v2/users/{api.user.pk}", change, format="json")

    assert response.status_code == 409
    assert response.json() == {"success": False, "message": message}
    assert _state(api.user) == before == ("administrator", True, True, [])


@pytest.mark.django_db
def test_the_last_administrator_cannot_delete_themselves_through_the_api(api):
    response = api.delete(f"/api/v2/users/{api.user.pk}")

    assert response.status_code == 409
    assert User.objects.filter(pk=api.user.pk, is_active=True).exists()


@pytest.mark.django_db
def test_an_inactive_administrator_does_not_count(api):
    UserFactory(role=Role.ADMINISTRATOR, is_active=False)

    response = api.patch(f"/api/v2/users/{api.user.pk}", {"role": "staff"}, format="json")

    assert response.status_code == 409
    assert User.objects.get(pk=api.user.pk).role == Role.ADMINISTRATOR


@pytest.mark.django_db
def test_an_administrator_may_step_down_while_another_remains(api):
    UserFactory(role=Role.ADMINISTRATOR)

    response = api.patch(f"/api/v2/users/{api.user.pk}", {"role": "staff"}, format="json")

    assert response.status_code == 200
    assert _state(api.user) == ("staff", True, False, ["Role: staff"])


@pytest.mark.django_db
def test_other_changes_to_the_last_administrator_are_allowed(api):
    response = api.patch(f"/api/v2/users/{api.user.pk}", {"name": "Still In Charge"}, format="json")

    assert response.status_code == 200
    assert User.objects.get(pk=api.user.pk).name == "Still In Charge"


# --- the admin --------------------------------------------------------------------------------


@pytest.fixture
def sole_admin(client):
    user = UserFactory(role=Role.ADMINISTRATOR)
    client.force_login(user)
    client.user = user
    return client


def _user_form(user: User, **overrides) -> dict:
    return {
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "is_active": "on" if user.is_active else "",
        **overrides,
    }


@pytest.mark.django_db
def test_the_admin_refuses_to_demote_the_last_administrator_with_a_message(sole_admin):
    url = f"/admin/users/user/{sole_admin.user.pk}/change/"
    before = _state(sole_admin.user)

    response = sole_admin.post(url, _user_form(sole_admin.user, role="viewer"), follow=True)

    assert [str(m) for m in response.context["messages"]] == [
        "The last active administrator cannot be demoted."
    ]
    assert response.redirect_chain == [(url, 302)]
    assert _state(sole_admin.user) == before


@pytest.mark.django_db
def test_the_admin_refuses_to_deactivate_the_last_administrator_with_a_message(sole_admin):
    url = f"/admin/users/user/{sole_admin.user.pk}/change/"

    response = sole_admin.post(url, _user_form(sole_admin.user, is_active=""), follow=True)

    assert [str(m) for m in response.context["messages"]] == [
        "The last active administrator cannot be deactivated."
    ]
    assert User.objects.get(pk=sole_admin.user.pk).is_active is True


@pytest.mark.django_db
def test_the_admin_refuses_to_delete_the_last_administrator_with_a_message(sole_admin):
    url = f"/admin/users/user/{sole_admin.user.pk}/"

    response = sole_admin.post(f"{url}delete/", {"post": "yes"}, follow=True)

    assert [str(m) for m in response.context["messages"]] == ["You cannot delete your own user."]
    assert User.objects.filter(pk=sole_admin.user.pk).exists()


@pytest.mark.django_db
def test_a_bulk_delete_including_yourself_deletes_nobody(sole_admin):
    other = UserFactory(role=Role.ADMINISTRATOR)

    response = sole_admin.post(
        "/admin/users/user/",
        {
            "action": "delete_selected",
            "post": "yes",
            "_selected_action": [other.pk, sole_admin.user.pk],
        },
        follow=True,
    )

    assert [str(m) for m in response.context["messages"]] == ["You cannot delete your own user."]
    assert User.objects.filter(pk__in=[other.pk, sole_admin.user.pk]).count() == 2


# --- at the same moment (PostgreSQL row locks) ------------------------------------------------


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_administrators_deleting_each_other_at_once_leave_one():
    first, second = UserFactory(role=Role.ADMINISTRATOR), UserFactory(role=Role.ADMINISTRATOR)
    pairs = iter([(first, second), (second, first)])

    def delete_the_other():
        acting, target = next(pairs)
        return user_delete(user=target, acting_user=acting)

    results = run_at_once(2, delete_the_other)

    assert sorted(type(r).__name__ for r in results) == ["ConflictError", "NoneType"]
    assert [str(r) for r in results if isinstance(r, ConflictError)] == [
        "The last active administrator cannot be deleted."
    ]
    assert User.objects.filter(role=Role.ADMINISTRATOR, is_active=True).count() == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "change", [{"role": Role.STAFF}, {"is_active": False}], ids=["demote", "deactivate"]
)
def test_two_administrators_stepping_down_at_once_leave_one(change):
    admins = iter([UserFactory(role=Role.ADMINISTRATOR), UserFactory(role=Role.ADMINISTRATOR)])

    results = run_at_once(2, lambda: user_update(user=next(admins), **change))

    assert sum(isinstance(r, ConflictError) for r in results) == 1
    assert User.objects.filter(role=Role.ADMINISTRATOR, is_active=True).count() == 1


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_administrators_deleting_each_other_through_the_api_leave_one():
    from rest_framework.test import APIClient

    first, second = UserFactory(role=Role.ADMINISTRATOR), UserFactory(role=Role.ADMINISTRATOR)
    requests = iter(
        [(make_api_key(user=first)[1], second.pk), (make_api_key(user=second)[1], first.pk)]
    )

    def delete_the_other() -> int:
        raw, target = next(requests)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client.delete(f"/api/v2/users/{target}").status_code

    statuses = sorted(run_at_once(2, delete_the_other))

    # The loser is refused by the rule (409), or, when its request authenticated only after
    # the winner's commit, finds its own key gone with its user (401).
    assert statuses[0] == 200 and statuses[1] in (401, 409), statuses
    assert User.objects.filter(role=Role.ADMINISTRATOR, is_active=True).count() == 1
