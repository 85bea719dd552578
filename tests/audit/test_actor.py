"""Who the audit trail says acted: the API key, the admin user, or the system (default,
commands, Celery tasks)."""

from datetime import date

import pytest
from celery import shared_task

from audit.models import AuditEvent
from audit.services import audit_record, books_update
from core.actor import Actor, acting_as, current_actor
from tests.factories import UserFactory, make_api_key

pytestmark = pytest.mark.django_db


@shared_task(name="tests.audit.close_books_task")
def close_books_task(day: str) -> None:
    books_update(closed_through=date.fromisoformat(day))


def test_nothing_set_is_the_system():
    assert current_actor() == Actor("system", None, "system")


def test_acting_as_sets_the_actor_for_the_block_only():
    with acting_as(Actor.system("command:seed_demo")):
        assert current_actor() == Actor("system", None, "command:seed_demo")

    assert current_actor() == Actor.system()


def test_an_api_key_acts_by_its_name_or_else_its_prefix():
    named, _ = make_api_key(name="Shop sync")
    unnamed, _ = make_api_key(name="")

    assert Actor.api_key(named) == Actor("api_key", named.pk, "Shop sync")
    assert Actor.api_key(unnamed) == Actor("api_key", unnamed.pk, f"{unnamed.prefix}…")


def test_a_user_acts_by_their_email():
    user = UserFactory(email="clerk@example.com")

    assert Actor.user(user) == Actor("user", user.pk, "clerk@example.com")


def test_the_actor_of_an_api_request_is_its_key_and_ends_with_the_request(api):
    api.put("/api/v2/settings/books", {"closed_through": "2024-01-31"}, format="json")

    entry = AuditEvent.objects.get(resource="books")
    assert (entry.actor_type, entry.actor_id) == ("api_key", api.api_key.pk)
    assert current_actor() == Actor.system()


def test_the_actor_of_an_admin_request_ends_with_the_request(admin_client, admin_user):
    admin_client.post("/admin/audit/books/1/change/", {"closed_through": "2024-01-31"})

    assert AuditEvent.objects.get().actor_id == admin_user.pk
    assert current_actor() == Actor.system()


def test_a_task_acts_as_the_system_even_when_queued_by_a_key():
    key, _ = make_api_key(name="Shop sync")

    with acting_as(Actor.api_key(key)):
        close_books_task.delay("2024-01-31")
        assert current_actor() == Actor.api_key(key)

    entry = AuditEvent.objects.get(resource="books")
    assert (entry.actor_type, entry.actor_id, entry.actor_name) == (
        "system",
        None,
        "task:tests.audit.close_books_task",
    )


def test_an_entry_outside_a_request_records_the_innermost_actor():
    with acting_as(Actor.system("command:outer")), acting_as(Actor.system("command:inner")):
        entry = audit_record(action="books.updated", resource="books", resource_id=1)

    assert entry.actor_name == "command:inner"
