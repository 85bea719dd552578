"""Fixes in the shared hallway found by fuzzing and by the sandbox work."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import DataError

from api.exceptions import exception_handler
from core.db import SANDBOX, using_alias

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


def test_a_value_the_database_refuses_is_a_400_not_a_500():
    response = exception_handler(DataError("time zone displacement out of range"), {})

    assert response.status_code == 400
    assert response.data == {
        "success": False,
        "message": "A value in the request is out of the range this API accepts.",
    }


def test_an_id_filter_too_large_for_the_database_is_never_a_500(api):
    response = api.get("/api/v2/invoices", {"customer_id": "-3.7e285"})

    # Ids are whole numbers (core.filters.IdFilter): refused before any database sees it.
    assert response.status_code == 400
    assert response.json()["errors"] == {"customer_id": "Use a whole number."}


def test_an_absurdly_large_amount_is_a_validation_error(api):
    response = api.post(
        "/api/v2/accounts",
        '{"name": "Huge", "currency": "USD", "opening_balance": 1.7976931348623157e+308}',
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"opening_balance": "Amount is too large."}


def test_related_writes_follow_the_database_the_row_came_from():
    # A sandbox group changed from code running on the live alias (as a flush's post_migrate
    # handler does) writes its join rows in the sandbox.
    with using_alias(SANDBOX):
        group = Group.objects.create(name="Sandbox group")
    permission = Permission.objects.using(SANDBOX).first()

    group.permissions.set([permission])

    assert Group.objects.using(SANDBOX).get(pk=group.pk).permissions.count() == 1
    assert not Group.objects.using("default").filter(name="Sandbox group").exists()
