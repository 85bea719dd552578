"""The closed-books setting from each door (API, admin, command): one audit entry per write
with the right actor, none for a refused write; and the check every room calls."""

from datetime import date, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from audit.models import AuditEvent, Books
from audit.services import books_update
from core.books import books_assert_open, books_closed_through
from core.db import SANDBOX, using_alias
from core.errors import ConflictError, DomainValidationError

pytestmark = pytest.mark.django_db

URL = "/api/v2/settings/books"
ADMIN_URL = "/admin/audit/books/1/change/"


def tomorrow() -> date:
    return timezone.localdate() + timedelta(days=1)


def books_entries():
    # Only the setting's: the fixtures' API keys have `api_key.created` entries of their own.
    return AuditEvent.objects.filter(resource="books")


def entry_values():
    return list(
        books_entries().values_list(
            "actor_type", "actor_id", "actor_name", "action", "resource", "resource_id", "changes"
        )
    )


# --- API -----------------------------------------------------------------------------------


def test_books_are_open_until_closed(api):
    response = api.get(URL)

    assert response.status_code == 200
    assert response.json() == {"success": True, "data": {"closed_through": None}}


def test_put_closes_the_books_and_records_one_entry_by_the_key(api):
    response = api.put(URL, {"closed_through": "2024-12-31"}, format="json")

    assert response.status_code == 200
    assert response.json()["data"] == {"closed_through": "2024-12-31"}
    assert books_closed_through() == date(2024, 12, 31)
    assert entry_values() == [
        (
            "api_key",
            api.api_key.pk,
            api.api_key.name or f"{api.api_key.prefix}…",
            "books.updated",
            "books",
            "1",
            {"closed_through": [None, "2024-12-31"]},
        )
    ]
    assert books_entries().get().request_id == response["X-Request-ID"]


def test_put_null_reopens_the_books(api):
    books_update(closed_through=date(2024, 6, 30))

    response = api.put(URL, {"closed_through": None}, format="json")

    assert response.json()["data"] == {"closed_through": None}
    assert books_closed_through() is None
    assert books_entries().first().changes == {"closed_through": ["2024-06-30", None]}


def test_put_with_a_trailing_slash_works_too(api):
    assert api.put(URL + "/", {"closed_through": "2024-01-31"}, format="json").status_code == 200


def test_put_of_a_future_date_is_refused_and_records_nothing(api):
    books_update(closed_through=date(2024, 6, 30))

    response = api.put(URL, {"closed_through": tomorrow().isoformat()}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "message": "Validation failed",
        "errors": {"closed_through": "The books can be closed through today at the latest."},
    }
    assert books_closed_through() == date(2024, 6, 30)
    assert books_entries().count() == 1  # the setting's own, from before


@pytest.mark.parametrize("body", [{"closed_through": "31/12/2024"}, {}])
def test_put_of_a_malformed_body_is_a_400_and_records_nothing(api, body):
    response = api.put(URL, body, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["closed_through"]
    assert books_closed_through() is None
    assert books_entries().count() == 0


@pytest.mark.parametrize("role", ["staff", "viewer"])
def test_only_administrators_read_or_change_the_books(client_for, role):
    client = client_for(role)

    assert client.get(URL).status_code == 403
    assert client.put(URL, {"closed_through": "2024-12-31"}, format="json").status_code == 403
    assert books_closed_through() is None
    assert books_entries().count() == 0


@pytest.mark.parametrize("method", ["post", "delete"])
def test_books_cannot_be_posted_or_deleted(api, method):
    assert getattr(api, method)(URL).status_code == 405


# --- admin ---------------------------------------------------------------------------------


def test_admin_closes_the_books_and_records_one_entry_by_the_user(admin_client, admin_user):
    response = admin_client.post(ADMIN_URL, {"closed_through": "2024-12-31"})

    assert response.status_code == 302
    assert books_closed_through() == date(2024, 12, 31)
    assert entry_values() == [
        (
            "user",
            admin_user.pk,
            "boss@example.com",
            "books.updated",
            "books",
            "1",
            {"closed_through": [None, "2024-12-31"]},
        )
    ]
    assert books_entries().get().request_id != ""


def test_admin_books_page_and_list_link_open_the_setting(admin_client):
    assert admin_client.get("/admin/audit/books/").url == ADMIN_URL
    page = admin_client.get(ADMIN_URL)

    assert page.status_code == 200
    assert 'name="closed_through"' in page.content.decode()


def test_admin_refusal_is_a_message_and_records_nothing(admin_client):
    response = admin_client.post(ADMIN_URL, {"closed_through": tomorrow().isoformat()}, follow=True)

    assert "The books can be closed through today at the latest." in response.content.decode()
    assert books_closed_through() is None
    assert Books.objects.count() == 0
    assert books_entries().count() == 0


def test_staff_cannot_open_the_books_page(staff_client):
    assert staff_client.get(ADMIN_URL).status_code == 403
    assert staff_client.post(ADMIN_URL, {"closed_through": "2024-12-31"}).status_code == 403
    assert books_closed_through() is None


def test_books_have_no_add_or_delete_page(admin_client):
    assert admin_client.get("/admin/audit/books/add/").status_code == 403
    assert admin_client.post("/admin/audit/books/1/delete/", {"post": "yes"}).status_code == 403


# --- command -------------------------------------------------------------------------------


def test_close_books_command_records_one_entry_by_the_system():
    out = StringIO()

    call_command("close_books", "--through", "2024-03-31", stdout=out)

    assert out.getvalue() == "Books closed through 2024-03-31.\n"
    assert books_closed_through() == date(2024, 3, 31)
    assert entry_values() == [
        (
            "system",
            None,
            "command:close_books",
            "books.updated",
            "books",
            "1",
            {"closed_through": [None, "2024-03-31"]},
        )
    ]
    assert books_entries().get().request_id == ""


def test_close_books_command_reopens():
    books_update(closed_through=date(2024, 3, 31))
    out = StringIO()

    call_command("close_books", "--open", stdout=out)

    assert out.getvalue() == "Books open: no period is closed.\n"
    assert books_closed_through() is None


def test_close_books_command_refuses_a_future_date_and_records_nothing():
    with pytest.raises(CommandError, match="today at the latest"):
        call_command("close_books", "--through", tomorrow().isoformat())

    assert books_closed_through() is None
    assert books_entries().count() == 0


def test_close_books_command_refuses_a_malformed_date():
    with pytest.raises(CommandError, match="not a YYYY-MM-DD date"):
        call_command("close_books", "--through", "March")

    assert books_entries().count() == 0


# --- the check every room calls ------------------------------------------------------------


def test_open_books_accept_any_date():
    books_assert_open(date(2000, 1, 1), None)


def test_a_date_on_or_before_the_closed_day_is_a_409_with_the_contract_message():
    books_update(closed_through=date(2024, 12, 31))

    for day in (date(2024, 12, 31), date(2019, 5, 1)):
        with pytest.raises(ConflictError) as refused:
            books_assert_open(date(2025, 1, 2), day)
        assert refused.value.message == "The books are closed through 2024-12-31."
        assert refused.value.status_code == 409


def test_a_date_after_the_closed_day_passes():
    books_update(closed_through=date(2024, 12, 31))

    books_assert_open(date(2025, 1, 1), None)


def test_a_timestamp_is_checked_by_its_local_day():
    books_update(closed_through=date(2024, 12, 31))

    with pytest.raises(ConflictError):
        books_assert_open(datetime(2024, 12, 31, 23, 0, tzinfo=timezone.get_current_timezone()))
    books_assert_open(datetime(2025, 1, 1, 0, 30, tzinfo=timezone.get_current_timezone()))


def test_no_date_reads_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        books_assert_open(None)


def test_service_refuses_a_future_date():
    with pytest.raises(DomainValidationError) as refused:
        books_update(closed_through=tomorrow())

    assert refused.value.errors == {
        "closed_through": "The books can be closed through today at the latest."
    }
    assert books_entries().count() == 0


@pytest.mark.django_db(databases=["default", "sandbox"])
def test_the_sandbox_has_its_own_books():
    books_update(closed_through=date(2024, 12, 31))

    with using_alias(SANDBOX):
        assert books_closed_through() is None
        books_assert_open(date(2024, 1, 1))
        assert books_entries().count() == 0
    assert books_closed_through() == date(2024, 12, 31)
